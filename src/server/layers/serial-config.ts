/**
 * The serial layer's config block: which ports `serve` reads and with which driver, whether it finds USB devices
 * itself, at what baud rate.
 *
 * A port is `--serial <path>[,driver=<name>][,baud=<n>][,device=<id>][,<setting>=<value>…]` (repeatable; in
 * TINYML_SERIAL_PORTS the same, ports separated by commas too: a comma-separated item without `=` starts the next
 * port). `driver` is a name of src/ingest/serial/drivers/registry.ts (default tmf1), `baud` defaults to `--baud` for
 * a TMF1 board and to the driver's own rate for an instrument (LPM01A 3686400), `device` names the device the
 * windows are stored for, and every other key is an instrument setting checked by that driver (e.g. the LPM01A's
 * `voltage=3.3,rate=1000`). Paths containing a comma cannot be given here (none of /dev/tty* or COMn does).
 */
import { defineConfigBlock } from '../../config/config-block.js';
import { ConfigError } from '../../domain/errors.js';
import { DEFAULT_SERIAL_BAUD, DEFAULT_SERIAL_DRIVER, serialDriver, type SerialPortConfig } from '../../ingest/serial/index.js';

export interface SerialLayerConfig {
  /** Ports to read, each with its driver, baud, device id and instrument settings. */
  ports: SerialPortConfig[];
  /** Also read every recognised USB device (src/ingest/serial/usb-ids.ts) with its driver, rescanned periodically. */
  autoDiscover: boolean;
  /** Baud rate of TMF1 ports that name none. */
  baudRate: number;
}

/** A baud rate: a positive integer (bits/s); DEFAULT_SERIAL_BAUD when absent. `what` names the option in the error. */
export function parseBaudRate(text: string | undefined, what = 'baud rate'): number {
  const baud = Number(text ?? DEFAULT_SERIAL_BAUD);
  if (!Number.isInteger(baud) || baud <= 0) throw new ConfigError(`${what} must be a positive integer, got "${text}"`);
  return baud;
}

/** Keys of a port spec the supervisor reads; any other key is the driver's. */
const PORT_KEYS = new Set(['driver', 'baud', 'device']);

/**
 * `--serial` values (and TINYML_SERIAL_PORTS items) → port configs. Pure; a bad driver name or instrument setting is
 * a ConfigError naming the port, at startup, before any port is opened.
 */
export function parseSerialPorts(values: readonly string[]): SerialPortConfig[] {
  const items = values.flatMap((value) => value.split(',')).map((item) => item.trim());
  const specs: { path: string; pairs: [string, string][] }[] = [];
  for (const item of items) {
    if (item === '') continue;
    const equals = item.indexOf('=');
    if (equals === -1) {
      specs.push({ path: item, pairs: [] });
      continue;
    }
    const last = specs.at(-1);
    if (last === undefined) throw new ConfigError(`--serial: "${item}" must follow a port path (--serial <path>,${item})`);
    last.pairs.push([item.slice(0, equals).trim(), item.slice(equals + 1).trim()]);
  }
  const seen = new Set<string>();
  return specs.map(({ path, pairs }) => {
    if (seen.has(path)) throw new ConfigError(`--serial: ${path} is given twice`);
    seen.add(path);
    const keyed = new Map<string, string>();
    for (const [key, value] of pairs) {
      if (keyed.has(key)) throw new ConfigError(`--serial ${path}: "${key}" is given twice`);
      keyed.set(key, value);
    }
    const driverName = keyed.get('driver') ?? DEFAULT_SERIAL_DRIVER;
    const driver = serialDriver(driverName);
    const settings = Object.fromEntries([...keyed].filter(([key]) => !PORT_KEYS.has(key)));
    try {
      driver.parseSettings(settings);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`--serial ${path}: ${error.message}`);
      throw error;
    }
    const baud = keyed.get('baud');
    const device = keyed.get('device');
    if (device === '') throw new ConfigError(`--serial ${path}: device= needs an id`);
    return {
      path,
      driver: driver.name,
      ...(baud === undefined ? {} : { baudRate: parseBaudRate(baud, `--serial ${path}: baud`) }),
      ...(device === undefined ? {} : { deviceId: device }),
      settings,
    };
  });
}

export const serialConfigBlock = defineConfigBlock({
  name: 'serial',
  title: 'Serial',
  options: {
    serial: {
      type: 'string',
      value: '<path>[,driver=…,baud=…,device=…,<setting>=…]',
      multiple: true,
      env: 'TINYML_SERIAL_PORTS',
      envSeparator: ',',
      default: 'none',
      help: 'read this serial port (driver tmf1 by default; lpm01a takes voltage=<V>,rate=<Hz>,output=energy/current,format=ascii/binary)',
    },
    'no-serial-discovery': {
      type: 'boolean',
      env: 'TINYML_SERIAL_DISCOVERY',
      envValue: '0',
      default: 'discovery on',
      help: 'do not open recognised USB devices automatically',
    },
    baud: { type: 'string', value: '<n>', env: 'TINYML_SERIAL_BAUD', default: String(DEFAULT_SERIAL_BAUD), help: 'baud rate of TMF1 boards (bits/s)' },
  },
  parse(raw): SerialLayerConfig {
    return { ports: parseSerialPorts(raw.serial ?? []), autoDiscover: raw['no-serial-discovery'] !== true, baudRate: parseBaudRate(raw.baud) };
  },
});
