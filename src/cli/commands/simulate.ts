/** `simulate <what>`: dispatches to the simulators (`serial`: a board on a pty; `fleet`: MQTT telemetry). */
import type { CliCommand } from '../command.js';
import { simulateFleetCommand } from './simulate-fleet.js';
import { simulateSerialCommand } from './simulate-serial.js';

/** Each simulator by name; add a branch per simulator. */
export const SIMULATORS: Record<string, CliCommand> = {
  fleet: simulateFleetCommand,
  serial: simulateSerialCommand,
};

const usage = (): string =>
  `tinyml-footprint simulate <simulator> [options]\n\nSimulators:\n${Object.entries(SIMULATORS)
    .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
    .join('\n')}\n\nRun "tinyml-footprint simulate <simulator> --help" for its options.`;

export const simulateCommand: CliCommand = {
  summary: 'simulate devices: "serial" (a board on a pseudo-terminal) or "fleet" (MQTT telemetry of N devices)',
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h') {
      process.stdout.write(`${usage()}\n`);
      return name === undefined ? 2 : 0;
    }
    const simulator = SIMULATORS[name];
    if (simulator === undefined) {
      process.stderr.write(`unknown simulator "${name}"\n\n${usage()}\n`);
      return 2;
    }
    return simulator.run(rest);
  },
};
