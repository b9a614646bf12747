/**
 * The store layer's config block: which time-series store the windows go to. `sqlite` (default): the local store
 * alone, as on one machine. `influx`: the local store stays the registry, the identity judge and the outbox, and an
 * outbox writer copies every committed window to InfluxDB (docs/influxdb-schema.md). Credentials come from the
 * environment only (a flag would show them in `ps`).
 */
import { defineConfigBlock } from '../../config/config-block.js';
import { ConfigError } from '../../domain/errors.js';
import { DEFAULT_INFLUX_DATABASE } from '../../store/influx/influx-window-store.js';
import { DEFAULT_OUTBOX_BACKLOG_CAP } from '../../store/outbox/outbox-writer.js';

export const DEFAULT_INFLUX_URL = 'http://127.0.0.1:8086';

export type StoreLayerConfig =
  | { kind: 'sqlite' }
  | {
      kind: 'influx';
      url: string;
      database: string;
      username: string | undefined;
      password: string | undefined;
      /** InfluxQL duration of the retention policy, or undefined: the database's default policy as it is. */
      retention: string | undefined;
      backlogCapWindows: number;
    };

/** An InfluxQL duration literal (`30d`, `520w`, `12h`) or `INF`. */
const INFLUX_DURATION = /^(INF|\d+(ns|u|µ|ms|s|m|h|d|w))$/;
const DATABASE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function text(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export const storeConfigBlock = defineConfigBlock({
  name: 'store',
  title: 'Store',
  options: {
    store: {
      type: 'string',
      value: '<kind>',
      env: 'TINYML_STORE',
      default: 'sqlite',
      help: 'where windows go: sqlite (the local store alone) or influx (also InfluxDB, through the local outbox)',
    },
    'influx-url': { type: 'string', value: '<url>', env: 'TINYML_INFLUX_URL', default: DEFAULT_INFLUX_URL, help: 'InfluxDB (1.x, or the v1 API of 2.x/3.x)' },
    'influx-database': {
      type: 'string',
      value: '<name>',
      env: 'TINYML_INFLUX_DATABASE',
      default: DEFAULT_INFLUX_DATABASE,
      help: 'InfluxDB database, created when absent',
    },
    'influx-username': { type: 'string', value: '<name>', envOnly: true, env: 'TINYML_INFLUX_USERNAME', default: 'none', help: 'InfluxDB user' },
    'influx-password': { type: 'string', value: '<secret>', envOnly: true, env: 'TINYML_INFLUX_PASSWORD', default: 'none', help: 'its password' },
    'influx-retention': {
      type: 'string',
      value: '<duration>',
      env: 'TINYML_INFLUX_RETENTION',
      default: "the database's default policy",
      help: 'keep points this long (InfluxQL duration: 30d, 520w, INF) in a retention policy made the default',
    },
    'outbox-backlog-cap': {
      type: 'string',
      value: '<windows>',
      env: 'TINYML_OUTBOX_BACKLOG_CAP',
      default: String(DEFAULT_OUTBOX_BACKLOG_CAP),
      help: 'windows committed and not yet in InfluxDB at most; beyond, ingest stops acknowledging (MQTT no PUBACK, HTTP 503)',
    },
  },
  parse(raw): StoreLayerConfig {
    const kind = text(raw.store) ?? 'sqlite';
    if (kind === 'sqlite') return { kind: 'sqlite' };
    if (kind !== 'influx') throw new ConfigError(`--store must be sqlite or influx, got "${kind}"`);
    const url = text(raw['influx-url']) ?? DEFAULT_INFLUX_URL;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`--influx-url "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`--influx-url "${url}" must use http: or https:`);
    const database = text(raw['influx-database']) ?? DEFAULT_INFLUX_DATABASE;
    if (!DATABASE_NAME.test(database)) throw new ConfigError(`--influx-database "${database}" must match [A-Za-z0-9_.-]{1,64}`);
    const retention = text(raw['influx-retention']);
    if (retention !== undefined && !INFLUX_DURATION.test(retention)) {
      throw new ConfigError(`--influx-retention "${retention}" must be an InfluxQL duration (30d, 520w, 12h) or INF`);
    }
    const capText = text(raw['outbox-backlog-cap']);
    const backlogCapWindows = capText === undefined ? DEFAULT_OUTBOX_BACKLOG_CAP : Number(capText);
    if (capText !== undefined && (!/^\d+$/.test(capText) || !Number.isSafeInteger(backlogCapWindows) || backlogCapWindows < 1)) {
      throw new ConfigError(`--outbox-backlog-cap must be a positive integer (windows), got "${capText}"`);
    }
    return {
      kind: 'influx',
      url,
      database,
      username: text(raw['influx-username']),
      password: text(raw['influx-password']),
      retention,
      backlogCapWindows,
    };
  },
});
