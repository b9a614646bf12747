/** The WindowStore contract against a real influxd (test/helpers/influxd.ts): one fresh database per test. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InfluxDB } from 'influx';
import { WINDOW_MEASUREMENT, WINDOW_SCHEMA, windowPoint } from '../../../src/store/influx/influx-points.js';
import { InfluxWindowStore } from '../../../src/store/influx/influx-window-store.js';
import { freePort } from '../../helpers/free-port.js';
import { useInfluxd } from '../../helpers/use-influxd.js';
import { expectedAggregates, storedWindow, windowStoreContract } from '../window-store-contract.js';

const influxd = useInfluxd();
let databases = 0;

windowStoreContract('InfluxWindowStore on influxd 1.x', async () => {
  databases += 1;
  const database = `contract_${process.pid}_${databases}`;
  const deadPort = await freePort(); // nothing listens there
  return {
    windows: new InfluxWindowStore({ url: influxd.url, database }),
    registerDevices: async () => undefined, // InfluxDB keeps no registry: a point names its device
    unreachable: () => new InfluxWindowStore({ url: `http://127.0.0.1:${deadPort}`, database, requestTimeoutMs: 2_000 }),
  };
});

describe('the InfluxDB schema as documented (docs/influxdb-schema.md)', () => {
  it('writes exactly the tags and fields, with the types, that the document lists', async () => {
    const database = `schema_${process.pid}`;
    const store = new InfluxWindowStore({ url: influxd.url, database });
    await store.writeWindows([
      storedWindow('a', 0, { instrument: 'ppk2', span: 'inferences' }),
      storedWindow('a', 1, { startStampedBy: 'receiver', minPowerW: null, maxPowerW: null }),
    ]);
    const query = async (q: string) => {
      const response = await fetch(`${influxd.url}/query?db=${database}&q=${encodeURIComponent(q)}`);
      const body = (await response.json()) as { results: { series?: { values: string[][] }[] }[] };
      return body.results[0]?.series?.[0]?.values ?? [];
    };
    const fields = Object.fromEntries((await query(`SHOW FIELD KEYS FROM "${WINDOW_MEASUREMENT}"`)).map(([key, type]) => [key, type]));
    const tags = (await query(`SHOW TAG KEYS FROM "${WINDOW_MEASUREMENT}"`)).map(([key]) => key).sort();
    const doc = readFileSync('docs/influxdb-schema.md', 'utf8');
    const fieldSection = doc.slice(doc.indexOf('### Fields'), doc.indexOf('### Aggregates'));
    const documented: Record<string, string> = {};
    for (const match of fieldSection.matchAll(/^\| ((?:`[a-z0-9_]+`(?:, )?)+) *\| (float|integer|string) *\|/gm)) {
      for (const name of (match[1] as string).matchAll(/`([a-z0-9_]+)`/g)) documented[name[1] as string] = match[2] as string;
    }
    expect(fields).toEqual(documented);
    const tagSection = doc.slice(doc.indexOf('### Tags'), doc.indexOf('### Timestamp'));
    const documentedTags = [...tagSection.matchAll(/^\| `([a-z0-9_]+)` *\|/gm)].map((match) => match[1]).sort();
    expect(tags).toEqual(documentedTags);
    // A window written twice is one point: the timestamp is start ms · 10⁶ + seq mod 10⁶.
    expect(await query(`SELECT "seq" FROM "${WINDOW_MEASUREMENT}" WHERE "device" = 'a'`)).toEqual([
      ['1970-01-01T00:16:40Z', 0],
      ['1970-01-01T00:16:50.000000001Z', 1],
    ]);
    await store.close();
  });
});

describe('a fleet-sized aggregate read', () => {
  it("reads 20 000 devices in one call (a fleet sync's full re-read), each as a read of its own would", async () => {
    // Before the reads were bounded per request, every statement of one call went in one GET: about 10 000 ids
    // made its URL longer than influxd accepts (HTTP 431), and the fleet's full re-read failed.
    const store = new InfluxWindowStore({ url: influxd.url, database: `fleet_${process.pid}` });
    const ids = Array.from({ length: 20_000 }, (_, n) => `fleet-device-${String(n).padStart(6, '0')}`);
    const windows = ids.flatMap((id, n) => (n % 3 === 0 ? [storedWindow(id, 0), storedWindow(id, 1)] : [storedWindow(id, 0)]));
    await store.writeWindows(windows);
    const read = await store.aggregates([...ids, 'never-written']);
    expect(read.size).toBe(ids.length);
    expect(read).toEqual(expectedAggregates(windows));
    await store.close();
  }, 120_000);
});

describe('a parts read without first-seen (AggregatePartsOptions.withoutFirstSeen)', () => {
  it('answers the same parts for the devices named, with no first-seen time, and the others as before', async () => {
    const store = new InfluxWindowStore({ url: influxd.url, database: `first_seen_${process.pid}` });
    const hour = 3_600_000;
    // Two periods each, so that the devices are read from the second: 80 devices (two statements of 50 ids and less).
    const ids = Array.from({ length: 80 }, (_, n) => `fs-${n}`);
    const windows = ids.flatMap((id) => [storedWindow(id, 0, { startMs: hour + 1_000 }), storedWindow(id, 1, { startMs: 2 * hour + 5_000 })]);
    await store.writeWindows(windows);
    const from = new Map(ids.map((id) => [id, 2 * hour]));
    const asked = new Set(ids.filter((_, n) => n % 2 === 0));
    const plain = await store.aggregateParts(from);
    const without = await store.aggregateParts(from, { withoutFirstSeen: asked });
    expect(plain.get('fs-0')!.parts[0]!.firstSeenMs).toBe(2 * hour + 5_000);
    for (const id of ids) {
      const expected = plain.get(id)!;
      expect(without.get(id)).toEqual(asked.has(id) ? { ...expected, parts: expected.parts.map((part) => ({ ...part, firstSeenMs: null })) } : expected);
    }
    await store.close();
  });
});

describe("points written as the store's own line protocol", () => {
  // A tag value ending in a backslash is left out: the client's escape.tag leaves it as it is, and influxd reads `\,`
  // as an escaped comma and refuses the line (both writers alike; device ids are [A-Za-z0-9_.-], protocol/limits.ts).
  // So is a string holding `\'`: escape.quoted doubles the backslash of its first one, so influxd keeps another string
  // (both writers alike again; test/store/influx/influx-points.test.ts has it byte for byte).
  it('read back from influxd as the same points writePoints writes, tags and strings as given', async () => {
    const windows = [
      storedWindow('back\\slash', 0, { source: 'trailing \\' }),
      storedWindow('gerät ü=ö,测试 🔋', 1, { source: 'mqtt über "brücke" \\ x', instrument: 'js110', span: 'inferences' }),
      storedWindow('=,  ,=', 2, { source: 'a,b=c d', minPowerW: null, maxPowerW: null, startStampedBy: 'receiver' }),
      storedWindow('whole', 3, { energyJ: 2, durationS: 1, minPowerW: 0, maxPowerW: 1e21 }),
      storedWindow('tiny', 4, { energyJ: 1.5e-7, durationS: 1e-3, maxPowerW: 5e-324, inferenceCount: 2 ** 31 }),
    ];
    const ours = `lines_ours_${process.pid}`;
    const theirs = `lines_theirs_${process.pid}`;
    const store = new InfluxWindowStore({ url: influxd.url, database: ours });
    await store.writeWindows(windows);
    await store.close();
    const client = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: theirs, schema: [{ ...WINDOW_SCHEMA, database: theirs }] });
    await client.createDatabase(theirs);
    await client.writePoints(windows.map(windowPoint), { precision: 'n' });
    const read = async (database: string) => {
      const q = `SELECT * FROM "${WINDOW_MEASUREMENT}"`;
      const response = await fetch(`${influxd.url}/query?db=${database}&epoch=ns&q=${encodeURIComponent(q)}`);
      return ((await response.json()) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] }).results[0]?.series?.[0];
    };
    const mine = await read(ours);
    expect(mine?.values).toHaveLength(windows.length);
    expect(mine).toEqual(await read(theirs));
    const column = (name: string) => mine!.columns.indexOf(name);
    const devices = mine!.values.map((row) => row[column('device')]);
    expect(devices.sort()).toEqual(windows.map((w) => w.deviceId).sort());
    const byDevice = new Map(mine!.values.map((row) => [row[column('device')], row]));
    for (const window of windows) {
      const row = byDevice.get(window.deviceId)!;
      expect(row[column('source')]).toBe(window.source);
      expect(row[column('energy_j')]).toBe(window.energyJ);
      expect(row[column('max_power_w')]).toBe(window.maxPowerW);
      expect(row[column('inferences')]).toBe(window.inferenceCount);
    }
  });
});
