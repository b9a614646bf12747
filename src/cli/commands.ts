import type { CliCommand } from './command.js';
import { calcCommand } from './commands/calc.js';
import { serveCommand } from './commands/serve.js';

/** Every subcommand, by name. Each lives in src/cli/commands/<name>.ts. */
export const COMMANDS: Record<string, CliCommand> = {
  serve: serveCommand,
  calc: calcCommand,
};
