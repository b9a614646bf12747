/**
 * InfluxWindowStore.writeWindows sends its ready line protocol as the `influx` client's writePoints would send the
 * same points: the same path and query (database, precision, retention policy), the same Basic auth, the same body.
 * A loopback HTTP server stands in for influxd and records every request (the contract suite writes into a real one).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InfluxDB } from 'influx';
import { CHANGE_SCHEMA, changePoints, WINDOW_SCHEMA, windowPoint } from '../../../src/store/influx/influx-points.js';
import { CHANGE_RETENTION_POLICY, INFLUX_AGGREGATE_IDS_PER_QUERY, InfluxWindowStore } from '../../../src/store/influx/influx-window-store.js';
import type { StoredWindow } from '../../../src/store/window-store.js';

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  contentLength: string | undefined;
  body: string;
}

const requests: Recorded[] = [];
/**
 * When set, what the loopback answers to an aggregate read (a statement with GROUP BY time); a function answers the
 * statements of each aggregate or instrument (`distinct()`) read.
 */
let aggregateAnswer: unknown = null;
let server: http.Server;
let url: string;

/** What influxd answers to the store's set-up queries: both policies exist, so none is created. */
const POLICIES = {
  results: [
    {
      statement_id: 0,
      series: [
        {
          columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
          values: [
            ['autogen', '0s', '168h0m0s', 1, true],
            [CHANGE_RETENTION_POLICY, '1h0m0s', '1h0m0s', 1, false],
          ],
        },
      ],
    },
  ],
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentLength: req.headers['content-length'],
        body,
      });
      if ((req.url ?? '').startsWith('/write')) {
        res.writeHead(204).end();
        return;
      }
      const showPolicies = /show\+retention|show%20retention/i.test(req.url ?? '') || /show retention/i.test(decodeURIComponent(body));
      const query = new URLSearchParams(body).get('q') ?? '';
      const aggregateRead = aggregateAnswer !== null && /group by time/i.test(query);
      const answer =
        typeof aggregateAnswer === 'function' && (aggregateRead || /distinct\(/.test(query))
          ? (aggregateAnswer as (statements: string[]) => unknown)(query.split(';'))
          : aggregateRead
            ? aggregateAnswer
            : { results: [{ statement_id: 0 }] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(showPolicies ? POLICIES : answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests.length = 0;
  aggregateAnswer = null;
});

const writes = (): Recorded[] => requests.filter((request) => request.url.startsWith('/write'));

function window(deviceId: string, seq: number): StoredWindow {
  return {
    deviceId,
    seq,
    startMs: 1_764_000_000_000 + seq * 10_000,
    durationS: 10,
    energyJ: 0.01 * (seq + 1),
    sampleCount: 1000,
    minPowerW: 0.001,
    maxPowerW: 0.002,
    inferenceCount: 3,
    source: 'mqtt',
    startStampedBy: 'device',
    seqUse: 0,
  };
}

/** With a device id of multi-byte characters: the body's bytes and its content-length are UTF-8's, not the string's length. */
const WINDOWS = [window('a', 0), window('b', 0), window('a', 1), window('gerät ü=ö,测试 🔋', 0)];

/** The device ids an aggregate statement names. */
const idsOf = (statement: string): string[] => [...statement.matchAll(/"device" = '([^']+)'/g)].map((match) => match[1]!);

describe('InfluxWindowStore.writeWindows', () => {
  for (const credentials of [{}, { username: 'writer', password: 'p@ss:word' }, { username: 'no-password' }]) {
    it(`sends what writePoints sends for the points and the markers (${JSON.stringify(credentials)})`, async () => {
      const store = new InfluxWindowStore({ url, database: 'db_under_test', writerId: 'w-1', ...credentials });
      await store.writeWindows(WINDOWS);
      const ours = writes();
      expect(ours).toHaveLength(2);

      requests.length = 0;
      const { port } = new URL(url);
      const client = new InfluxDB({
        hosts: [{ host: '127.0.0.1', port: Number(port) }],
        database: 'db_under_test',
        ...credentials,
        schema: [
          { ...WINDOW_SCHEMA, database: 'db_under_test' },
          { ...CHANGE_SCHEMA, database: 'db_under_test' },
        ],
      });
      await client.writePoints(WINDOWS.map(windowPoint), { precision: 'n' });
      await client.writePoints(changePoints(WINDOWS, 'w-1'), { precision: 'n', retentionPolicy: CHANGE_RETENTION_POLICY });
      const theirs = writes();
      expect(ours).toEqual(theirs);
      expect(ours[1]!.url).toContain(`rp=${CHANGE_RETENTION_POLICY}`);
      // Without credentials the client still sends its default login, root:root (influxd ignores it when auth is off).
      const login = 'username' in credentials ? `${credentials.username}:${'password' in credentials ? credentials.password : 'root'}` : 'root:root';
      expect(ours[0]!.authorization).toBe(`Basic ${Buffer.from(login).toString('base64')}`);
      await store.close();
    });
  }
});

describe('InfluxWindowStore.aggregates', () => {
  it('refuses a result influxd cut at its max-row-limit (partial) rather than fold the periods it left out', async () => {
    const columns = ['time', 'energy_j', 'observed_s', 'windows'];
    aggregateAnswer = {
      results: [{ statement_id: 0, series: [{ name: 'energy_window', tags: { device: 'a' }, columns, values: [[0, 1, 10, 1]], partial: true }] }],
    };
    const store = new InfluxWindowStore({ url, database: 'db' });
    await expect(store.aggregates(['a'])).rejects.toThrow(/partial/);
    aggregateAnswer = { results: [{ statement_id: 0, series: [{ name: 'energy_window', tags: { device: 'a' }, columns, values: [[0, 1, 10, 1]] }] }] };
    expect((await store.aggregates(['a'])).get('a')).toMatchObject({ energyJ: 1, observedS: 10, windows: 1 });
    await store.close();
  });

  it('settles a device whose first read equals the parts expected of it (options.expected) without a second read', async () => {
    const columns = ['time', 'energy_j', 'observed_s', 'windows', 'first_seen_ms', 'instrument_windows'];
    const reads: string[][] = [];
    aggregateAnswer = (statements: string[]) => {
      reads.push(statements.flatMap(idsOf));
      return {
        results: statements.map((statement, n) => ({
          statement_id: n,
          series: idsOf(statement)
            .filter((device) => device !== 'none')
            .map((device) => ({ name: 'energy_window', tags: { device }, columns, values: [[0, 1, 10, 1, 5, 0]] })),
        })),
      };
    };
    const store = new InfluxWindowStore({ url, database: 'db' });
    const [asRead] = (await store.aggregateParts(new Map([['same', 0]]))).values();
    expect(reads).toHaveLength(2); // no expectation: two reads that agree
    reads.length = 0;
    const other = { parts: [{ ...asRead!.parts[0]!, energyJ: 0.5 }], instruments: [] };
    const expected = new Map([
      ['same', asRead!],
      ['other', other],
      ['none', { parts: [], instruments: [] }],
    ]);
    const read = await store.aggregateParts(
      new Map([
        ['same', 0],
        ['other', 0],
        ['none', 0],
        ['fresh', 0],
      ]),
      { expected },
    );
    // One read of the four; only the one that differs from what was expected and the one nothing was expected of again.
    expect(reads.map((ids) => ids.sort())).toEqual([
      ['fresh', 'none', 'other', 'same'],
      ['fresh', 'other'],
    ]);
    expect(read.get('same')).toEqual(asRead);
    expect(read.get('other')?.parts[0]?.energyJ).toBe(1);
    expect(read.has('none')).toBe(false);
    await store.close();
  });

  it('asks the instruments of many devices in statements of INFLUX_AGGREGATE_IDS_PER_QUERY ids, as the aggregates', async () => {
    const ids = Array.from({ length: 2 * INFLUX_AGGREGATE_IDS_PER_QUERY + 20 }, (_, n) => `inst-${n}`);
    const distinct: string[] = [];
    aggregateAnswer = (statements: string[]) => {
      if (statements.some((statement) => statement.includes('distinct('))) distinct.push(...statements);
      return {
        results: statements.map((statement, n) => ({
          statement_id: n,
          series: idsOf(statement).map((device) =>
            statement.includes('distinct(')
              ? { name: 'energy_window', tags: { device }, columns: ['time', 'instrument'], values: [[0, 'ppk2']] }
              : { name: 'energy_window', tags: { device }, columns: ['time', 'energy_j', 'windows', 'instrument_windows'], values: [[0, 1, 1, 1]] },
          ),
        })),
      };
    };
    const store = new InfluxWindowStore({ url, database: 'db' });
    const read = await store.aggregates(ids);
    expect([...read.values()].every((aggregate) => aggregate.instruments.join() === 'ppk2')).toBe(true);
    // Two reads that agree (INFLUX_SETTLED_READ_ATTEMPTS), each in the same statements.
    const perRead = [INFLUX_AGGREGATE_IDS_PER_QUERY, INFLUX_AGGREGATE_IDS_PER_QUERY, 20];
    expect(distinct.map((statement) => idsOf(statement).length)).toEqual([...perRead, ...perRead]);
    expect(distinct.flatMap(idsOf).sort()).toEqual([...ids, ...ids].sort());
    await store.close();
  });
});
