/** The service's own config block: HTTP listen address, data directory, API token, the default device spec. */
import path from 'node:path';
import { defineConfigBlock, portOption } from '../config/config-block.js';
import { ConfigError } from '../domain/errors.js';
import type { DeviceSpec } from '../domain/types.js';
import { ONLINE_THRESHOLD_MS } from '../live/device-presence.js';
import { LOG_LEVELS, type LogLevel } from '../obs/logger.js';
import { SEED_DEFAULT_SPEC } from '../service/spec.js';
import { defaultDataDir } from '../store/data-dir.js';

/** TCP port of the HTTP API and dashboard. */
export const DEFAULT_HTTP_PORT = 8080;
/** Listen on every interface so a dashboard on another machine of the lab can reach it. */
export const DEFAULT_HTTP_HOST = '0.0.0.0';
/** The data directory when neither --data-dir nor TINYML_DATA_DIR is given, as documented (the home directory varies). */
const DEFAULT_DATA_DIR_TEXT = '~/.tinyml-footprint';
/** `info` writes the access log (a line per request); `warn` keeps only what went wrong. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export interface CoreConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Explicit API token (TINYML_API_TOKEN); when absent one is generated and kept in the data directory. */
  apiToken: string | undefined;
  /** Spec given to devices that announce themselves (serial hello, MQTT) and to devices registered without one. */
  defaults: DeviceSpec;
  onlineThresholdMs: number;
  /** Least severe log lines written (pino's levels). */
  logLevel: LogLevel;
}

export const coreConfigBlock = defineConfigBlock({
  name: 'core',
  title: 'Service',
  options: {
    port: { type: 'string', value: '<n>', env: 'PORT', default: String(DEFAULT_HTTP_PORT), help: 'HTTP port of the API and dashboard' },
    host: { type: 'string', value: '<addr>', env: 'HOST', default: DEFAULT_HTTP_HOST, help: 'HTTP listen address' },
    'data-dir': {
      type: 'string',
      value: '<dir>',
      env: 'TINYML_DATA_DIR',
      default: DEFAULT_DATA_DIR_TEXT,
      help: 'where the SQLite store, the API token and the MQTT credentials live (never inside the repository)',
    },
    'api-token': {
      type: 'string',
      value: '<token>',
      envOnly: true,
      env: 'TINYML_API_TOKEN',
      default: 'generated into <data-dir>/api-token, mode 0600',
      help: 'bearer token of the write endpoints',
    },
    system: {
      type: 'string',
      value: '<id>',
      env: 'TINYML_DEFAULT_SYSTEM',
      default: String(SEED_DEFAULT_SPEC.system),
      help: 'system given to devices that announce themselves or are registered without one',
    },
    grid: { type: 'string', value: '<id>', env: 'TINYML_DEFAULT_GRID', default: SEED_DEFAULT_SPEC.grid, help: 'grid given to such devices' },
    'log-level': {
      type: 'string',
      value: '<level>',
      env: 'TINYML_LOG_LEVEL',
      default: DEFAULT_LOG_LEVEL,
      help: 'least severe log lines written, as JSON on stderr: fatal, error, warn, info (adds the access log), debug (adds probes and scrapes), silent',
    },
  },
  parse(raw, _context: void): CoreConfig {
    return {
      port: portOption(raw.port ?? String(DEFAULT_HTTP_PORT), DEFAULT_HTTP_PORT, 'port'),
      host: raw.host ?? DEFAULT_HTTP_HOST,
      dataDir: path.resolve(raw['data-dir'] ?? defaultDataDir()),
      apiToken: raw['api-token'] === undefined || raw['api-token'] === '' ? undefined : raw['api-token'],
      defaults: { ...SEED_DEFAULT_SPEC, system: raw.system ?? SEED_DEFAULT_SPEC.system, grid: raw.grid ?? SEED_DEFAULT_SPEC.grid },
      onlineThresholdMs: ONLINE_THRESHOLD_MS,
      logLevel: logLevelOption(raw['log-level']),
    };
  },
});

function logLevelOption(text: string | undefined): LogLevel {
  if (text === undefined || text === '') return DEFAULT_LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(text)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  return text as LogLevel;
}
