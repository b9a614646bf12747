/** The serial layer's config block: which ports `serve` reads, whether it finds USB boards itself, at what baud rate. */
import { defineConfigBlock } from '../../config/config-block.js';
import { ConfigError } from '../../domain/errors.js';
import { DEFAULT_SERIAL_BAUD } from '../../ingest/serial/index.js';

export interface SerialLayerConfig {
  /** Port paths to read, e.g. `/dev/ttyACM0`. */
  ports: string[];
  /** Also read every recognised USB board (src/ingest/serial/usb-ids.ts), rescanned periodically. */
  autoDiscover: boolean;
  baudRate: number;
}

/** A baud rate: a positive integer (bits/s); DEFAULT_SERIAL_BAUD when absent. `what` names the option in the error. */
export function parseBaudRate(text: string | undefined, what = 'baud rate'): number {
  const baud = Number(text ?? DEFAULT_SERIAL_BAUD);
  if (!Number.isInteger(baud) || baud <= 0) throw new ConfigError(`${what} must be a positive integer, got "${text}"`);
  return baud;
}

export const serialConfigBlock = defineConfigBlock({
  name: 'serial',
  title: 'Serial',
  options: {
    serial: { type: 'string', value: '<path>', multiple: true, env: 'TINYML_SERIAL_PORTS', envSeparator: ',', default: 'none', help: 'read this serial port' },
    'no-serial-discovery': {
      type: 'boolean',
      env: 'TINYML_SERIAL_DISCOVERY',
      envValue: '0',
      default: 'discovery on',
      help: 'do not open recognised USB boards automatically',
    },
    baud: { type: 'string', value: '<n>', env: 'TINYML_SERIAL_BAUD', default: String(DEFAULT_SERIAL_BAUD), help: 'serial baud rate (bits/s)' },
  },
  parse(raw): SerialLayerConfig {
    return { ports: raw.serial ?? [], autoDiscover: raw['no-serial-discovery'] !== true, baudRate: parseBaudRate(raw.baud) };
  },
});
