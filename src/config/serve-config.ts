import { parseArgs } from 'node:util';
import path from 'node:path';
import { ConfigError } from '../domain/errors.js';
import type { DeviceSpec } from '../domain/types.js';
import { SEED_DEFAULT_SPEC } from '../service/spec.js';
import { defaultDataDir } from '../store/data-dir.js';
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, FLEET_CACHE_TTL_MS, ONLINE_THRESHOLD_MS } from './defaults.js';

export interface ServeConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Explicit API token (TINYML_API_TOKEN); when absent one is generated and kept in the data directory. */
  apiToken: string | undefined;
  /** Spec given to devices that announce themselves (serial hello, MQTT) and to devices registered without one. */
  defaults: DeviceSpec;
  onlineThresholdMs: number;
  fleetCacheTtlMs: number;
  serial: { ports: string[]; autoDiscover: boolean; baudRate: number };
  /** Raw options of later layers (MQTT), parsed by their own modules. */
  extra: Record<string, string | boolean | string[] | undefined>;
}

export const DEFAULT_SERIAL_BAUD = 115_200;

export const SERVE_USAGE = `tinyml-footprint serve [options]

  --port <n>            HTTP port (env PORT; default ${DEFAULT_HTTP_PORT})
  --host <addr>         HTTP listen address (env HOST; default ${DEFAULT_HTTP_HOST})
  --data-dir <dir>      where the SQLite store and API token live (env TINYML_DATA_DIR; default ~/.tinyml-footprint)
  --system <id>         default system for new devices (env TINYML_DEFAULT_SYSTEM; default kws-typical)
  --grid <id>           default grid for new devices (env TINYML_DEFAULT_GRID; default epa)
  --serial <path>       read this serial port (repeatable; env TINYML_SERIAL_PORTS, comma-separated)
  --no-serial-discovery do not open known USB boards automatically (env TINYML_SERIAL_DISCOVERY=0)
  --baud <n>            serial baud rate (env TINYML_SERIAL_BAUD; default ${DEFAULT_SERIAL_BAUD})
  --mqtt-url <url>      external MQTT broker; without it an embedded broker starts (env TINYML_MQTT_URL)
  --mqtt-port <n>       embedded broker port (env TINYML_MQTT_PORT; default 1883; 0 disables it)
  --mqtt-share <group>  shared subscription group for several instances (env TINYML_MQTT_SHARE)
  --mqtt-prefix <p>     first topic level(s) (env TINYML_MQTT_PREFIX; default tinyml)
  --mqtt-client-id <id> fixed client id at the external broker (env TINYML_MQTT_CLIENT_ID; default from host + data dir)
  --mqtt-ca <file>      CA bundle for an mqtts:// broker (env TINYML_MQTT_CA); env TINYML_MQTT_USERNAME/_PASSWORD log in
  --mqtt-host <addr>    embedded broker listen address (env TINYML_MQTT_HOST; default 0.0.0.0)
  --mqtt-tls-cert/-key <file>  also serve mqtts on --mqtt-tls-port (default 8883) (env TINYML_MQTT_TLS_CERT/_KEY/_PORT)
  env TINYML_API_TOKEN  bearer token for write endpoints (default: generated into <data-dir>/api-token)`;

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`${what} must be an integer port 0–65535, got "${text}"`);
  return port;
}

/** Options from the command line first, then the environment, then defaults. Validated here, once, with no I/O. */
export function loadServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServeConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      system: { type: 'string' },
      grid: { type: 'string' },
      serial: { type: 'string', multiple: true },
      'no-serial-discovery': { type: 'boolean' },
      baud: { type: 'string' },
      'mqtt-url': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'mqtt-share': { type: 'string' },
      'mqtt-prefix': { type: 'string' },
      'mqtt-client-id': { type: 'string' },
      'mqtt-host': { type: 'string' },
      'mqtt-tls-port': { type: 'string' },
      'mqtt-tls-cert': { type: 'string' },
      'mqtt-tls-key': { type: 'string' },
      'mqtt-ca': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  const serialEnv = env.TINYML_SERIAL_PORTS?.split(',').map((item) => item.trim()).filter((item) => item.length > 0) ?? [];
  const baud = Number(values.baud ?? env.TINYML_SERIAL_BAUD ?? DEFAULT_SERIAL_BAUD);
  if (!Number.isInteger(baud) || baud <= 0) throw new ConfigError(`baud rate must be a positive integer, got "${values.baud ?? env.TINYML_SERIAL_BAUD}"`);
  return {
    port: parsePort(values.port ?? env.PORT ?? String(DEFAULT_HTTP_PORT), 'port'),
    host: values.host ?? env.HOST ?? DEFAULT_HTTP_HOST,
    dataDir: path.resolve(values['data-dir'] ?? env.TINYML_DATA_DIR ?? defaultDataDir()),
    apiToken: env.TINYML_API_TOKEN === undefined || env.TINYML_API_TOKEN === '' ? undefined : env.TINYML_API_TOKEN,
    defaults: {
      ...SEED_DEFAULT_SPEC,
      system: values.system ?? env.TINYML_DEFAULT_SYSTEM ?? SEED_DEFAULT_SPEC.system,
      grid: values.grid ?? env.TINYML_DEFAULT_GRID ?? SEED_DEFAULT_SPEC.grid,
    },
    onlineThresholdMs: ONLINE_THRESHOLD_MS,
    fleetCacheTtlMs: FLEET_CACHE_TTL_MS,
    serial: {
      ports: values.serial ?? serialEnv,
      autoDiscover: !(values['no-serial-discovery'] === true || env.TINYML_SERIAL_DISCOVERY === '0'),
      baudRate: baud,
    },
    extra: {
      'mqtt-url': values['mqtt-url'] ?? env.TINYML_MQTT_URL,
      'mqtt-port': values['mqtt-port'] ?? env.TINYML_MQTT_PORT,
      'mqtt-share': values['mqtt-share'] ?? env.TINYML_MQTT_SHARE,
      'mqtt-prefix': values['mqtt-prefix'] ?? env.TINYML_MQTT_PREFIX,
      'mqtt-client-id': values['mqtt-client-id'] ?? env.TINYML_MQTT_CLIENT_ID,
      'mqtt-host': values['mqtt-host'] ?? env.TINYML_MQTT_HOST,
      'mqtt-tls-port': values['mqtt-tls-port'] ?? env.TINYML_MQTT_TLS_PORT,
      'mqtt-tls-cert': values['mqtt-tls-cert'] ?? env.TINYML_MQTT_TLS_CERT,
      'mqtt-tls-key': values['mqtt-tls-key'] ?? env.TINYML_MQTT_TLS_KEY,
      'mqtt-ca': values['mqtt-ca'] ?? env.TINYML_MQTT_CA,
      'mqtt-username': env.TINYML_MQTT_USERNAME,
      'mqtt-password': env.TINYML_MQTT_PASSWORD,
      help: values.help,
    },
  };
}
