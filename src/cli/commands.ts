import type { CliCommand } from './command.js';
import { calcCommand } from './commands/calc.js';
import { measureCommand } from './commands/measure.js';
import { mqttCredentialsCommand } from './commands/mqtt-credentials.js';
import { portsCommand } from './commands/ports.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';

/** Every subcommand, by name. Each lives in src/cli/commands/<name>.ts. */
export const COMMANDS: Record<string, CliCommand> = {
  serve: serveCommand,
  calc: calcCommand,
  simulate: simulateCommand,
  'mqtt-credentials': mqttCredentialsCommand,
  ports: portsCommand,
  measure: measureCommand,
};
