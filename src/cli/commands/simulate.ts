/** `simulate <what>`: dispatches to the simulators (`serial`: a board on a pty; `fleet`: MQTT telemetry). */
import type { CliCommand, CommandEntry } from '../command.js';

/** Each simulator by name, loaded when it runs; add an entry per simulator. */
export const SIMULATORS: Record<string, CommandEntry> = {
  fleet: {
    summary: 'publish simulated MQTT telemetry of N devices (QoS 1, varied duty cycles)',
    load: async () => (await import('./simulate-fleet.js')).simulateFleetCommand,
  },
  lpm01a: {
    summary: 'an ST X-NUCLEO-LPM01A PowerShield (host-controlled commands, ASCII/binary stream, D7 markers) on a pty',
    load: async () => (await import('./simulate-lpm01a.js')).simulateLpm01aCommand,
  },
  ppk2: {
    summary: 'a Nordic Power Profiler Kit II on a pty (metadata, opcodes, 4-byte samples at 100 kS/s, logic markers)',
    load: async () => (await import('./simulate-ppk2.js')).simulatePpk2Command,
  },
  serial: {
    summary: 'a board with a current sensor speaking the serial protocol on a pty (power profile)',
    load: async () => (await import('./simulate-serial.js')).simulateSerialCommand,
  },
};

const usage = (): string =>
  `tinyml-footprint simulate <simulator> [options]\n\nSimulators:\n${Object.entries(SIMULATORS)
    .map(([name, entry]) => `  ${name.padEnd(10)} ${entry.summary}`)
    .join('\n')}\n\nRun "tinyml-footprint simulate <simulator> --help" for its options.`;

export const simulateCommand: CliCommand = {
  usage,
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
    return (await simulator.load()).run(rest);
  },
};
