import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { DEFAULT_OUTBOX_BACKLOG_CAP } from '../../../src/store/outbox/outbox-writer.js';
import { DEFAULT_INFLUX_URL, storeConfigBlock } from '../../../src/server/layers/store-config.js';

const parse = (raw: Partial<Record<keyof typeof storeConfigBlock.options, string>>) =>
  storeConfigBlock.parse(
    {
      store: undefined,
      'influx-url': undefined,
      'influx-database': undefined,
      'influx-username': undefined,
      'influx-password': undefined,
      'influx-retention': undefined,
      'outbox-backlog-cap': undefined,
      ...raw,
    },
    { dataDir: '/tmp/x' },
  );

describe('store config block', () => {
  it('defaults to the local SQLite store alone (npm start on one machine: no InfluxDB)', () => {
    expect(parse({})).toEqual({ kind: 'sqlite' });
  });

  it('reads the InfluxDB options, with documented defaults', () => {
    expect(parse({ store: 'influx' })).toEqual({
      kind: 'influx',
      url: DEFAULT_INFLUX_URL,
      database: 'tinyml_footprint',
      username: undefined,
      password: undefined,
      retention: undefined,
      backlogCapWindows: DEFAULT_OUTBOX_BACKLOG_CAP,
    });
    expect(
      parse({
        store: 'influx',
        'influx-url': 'https://db.example:8443',
        'influx-database': 'fleet_a',
        'influx-username': 'svc',
        'influx-password': 's3cret',
        'influx-retention': '520w',
        'outbox-backlog-cap': '5000',
      }),
    ).toEqual({
      kind: 'influx',
      url: 'https://db.example:8443',
      database: 'fleet_a',
      username: 'svc',
      password: 's3cret',
      retention: '520w',
      backlogCapWindows: 5000,
    });
  });

  it('refuses bad values, naming the option', () => {
    expect(() => parse({ store: 'postgres' })).toThrow(new ConfigError('--store must be sqlite or influx, got "postgres"'));
    expect(() => parse({ store: 'influx', 'influx-url': 'udp://x:8089' })).toThrow(/--influx-url .* must use http: or https:/);
    expect(() => parse({ store: 'influx', 'influx-database': 'a b' })).toThrow(/--influx-database/);
    expect(() => parse({ store: 'influx', 'influx-retention': '30 days' })).toThrow(/--influx-retention/);
    expect(() => parse({ store: 'influx', 'outbox-backlog-cap': '0' })).toThrow(/--outbox-backlog-cap/);
    expect(() => parse({ store: 'influx', 'outbox-backlog-cap': '1e6' })).toThrow(/--outbox-backlog-cap/);
  });
});
