import type { CommandEntry } from './command.js';

/**
 * Every subcommand, by name, with its summary. Each lives in src/cli/commands/<name>.ts and is imported only when it
 * runs: `calc` must not load serialport, aedes, mqtt or express (bench/startup.ts times it).
 */
export const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    summary: 'run the service: HTTP API, dashboard, serial and MQTT readers, embedded store',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  calc: { summary: 'the plug-and-play calculator: lifetime footprint of a TinyML system', load: async () => (await import('./commands/calc.js')).calcCommand },
  simulate: {
    summary: 'simulate devices: "serial" (a board on a pseudo-terminal) or "fleet" (MQTT telemetry of N devices)',
    load: async () => (await import('./commands/simulate.js')).simulateCommand,
  },
  'mqtt-credentials': {
    summary: 'issue per-device passwords for the embedded MQTT broker',
    load: async () => (await import('./commands/mqtt-credentials.js')).mqttCredentialsCommand,
  },
  'dead-letters': {
    summary: 'list the windows InfluxDB refused for good (the outbox writer set them aside), with the reason',
    load: async () => (await import('./commands/dead-letters.js')).deadLettersCommand,
  },
  'import-devices': {
    summary: 'register a fleet manifest (JSON or CSV) with a running service, in bulk',
    load: async () => (await import('./commands/import-devices.js')).importDevicesCommand,
  },
  ports: {
    summary: 'list serial ports, their USB VID:PID and whether the board is recognised',
    load: async () => (await import('./commands/ports.js')).portsCommand,
  },
  import: {
    summary: 'import a measurement made elsewhere (EnergyRunner session, nRF Power Profiler or Joulescope CSV) as windows of a device',
    load: async () => (await import('./commands/import.js')).importCommand,
  },
  measure: {
    summary: 'measure a board over USB serial: live readout, then measured vs assumed power and footprint',
    load: async () => (await import('./commands/measure.js')).measureCommand,
  },
};
