/**
 * Windows/s into InfluxDB: the service's InfluxDB store (InfluxWindowStore.writeWindows: point building, schema
 * check, line protocol) against the bare `influx` client writing the same points (prebuilt, outside the timer), with
 * the same batch size, one batch in flight, into the same influxd, in the same run. Each pass writes into a fresh
 * database so that neither finds the other's series. A point count after each pass checks that every window arrived.
 * A third path goes through the whole service (HTTP POST → SQLite commit → outbox writer → InfluxDB).
 * Goal: through the service ≥ 0.8× the bare client. Run alone: `npx tsx bench/influx.ts` (needs `influxd`: Debian's influxdb).
 */
import { pathToFileURL } from 'node:url';
import { InfluxDB, type IPoint } from 'influx';
import type { EnergyWindow } from '../src/domain/types.js';
import { WINDOW_MEASUREMENT, WINDOW_SCHEMA, windowPoint } from '../src/store/influx/influx-points.js';
import { InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { OUTBOX_BATCH_WINDOWS } from '../src/store/outbox/outbox-writer.js';
import type { StoredWindow } from '../src/store/window-store.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/obs/logger.js';
import { loadServeConfig } from '../src/server/serve-config.js';
import { storeLayer } from '../src/server/layers/store-layer.js';
import { startService } from '../src/server/service.js';

/** Devices, as an MQTT micro-batch interleaves them. */
const DEVICES = 1_000;
/** Windows per device: 50 000 windows per pass, a few seconds each at InfluxDB 1.6's rate on this machine. */
const WINDOWS_PER_DEVICE = 50;
/** Points per write request, every path: what the outbox writer sends InfluxDB in one request. */
const BATCH = OUTBOX_BATCH_WINDOWS;
/** Best of 3 passes per path, alternating: the least disturbed by the other processes on a shared machine. */
const PASSES = 3;
const T0_MS = Date.parse('2026-11-01T00:00:00Z');
const WINDOW_S = 10;

function rows(): StoredWindow[] {
  const out: StoredWindow[] = [];
  for (let seq = 0; seq < WINDOWS_PER_DEVICE; seq += 1) {
    for (let d = 0; d < DEVICES; d += 1) {
      const powerW = 0.001 + (d % 100) * 0.0005;
      const window: EnergyWindow = {
        deviceId: `bench-${d}`,
        seq,
        startMs: T0_MS + seq * WINDOW_S * 1000,
        durationS: WINDOW_S,
        energyJ: powerW * WINDOW_S,
        sampleCount: 1000,
        minPowerW: powerW / 2,
        maxPowerW: powerW * 3,
        inferenceCount: 5,
        source: 'http', // what the service path stores: the same points on every path
        startStampedBy: 'device',
      };
      out.push({ ...window, seqUse: 0 });
    }
  }
  return out;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface Pass {
  seconds: number;
  windows: number;
  /** Service path: when the last 201 came (s after the first POST); the rest of the pass is the outbox catching up. */
  ackedS?: number;
}

function clientFor(url: string, database: string): InfluxDB {
  const { hostname, port } = new URL(url);
  // A schema copy of its own: the client writes the database into the object it is given.
  return new InfluxDB({ hosts: [{ host: hostname, port: Number(port) }], database, schema: [{ ...WINDOW_SCHEMA, database }] });
}

async function countPoints(url: string, database: string): Promise<number> {
  const rows = await clientFor(url, database).query<{ count: number }>(`SELECT count("energy_j") AS count FROM "${WINDOW_MEASUREMENT}"`);
  return rows[0]?.count ?? 0;
}

async function timed(windows: number, write: () => Promise<void>): Promise<Pass> {
  const started = process.hrtime.bigint();
  await write();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, windows };
}

async function bareClient(url: string, database: string, points: readonly IPoint[][]): Promise<Pass> {
  const client = clientFor(url, database);
  await client.createDatabase(database);
  const windows = points.reduce((n, batch) => n + batch.length, 0);
  return timed(windows, async () => {
    for (const batch of points) await client.writePoints(batch, { precision: 'n' });
  });
}

async function throughStore(url: string, database: string, windows: readonly StoredWindow[][]): Promise<Pass> {
  const store = new InfluxWindowStore({ url, database });
  await store.aggregates(['warm-up']); // creates the database, as the service does at its first write
  try {
    return await timed(
      windows.reduce((n, batch) => n + batch.length, 0),
      async () => {
        for (const batch of windows) await store.writeWindows(batch);
      },
    );
  } finally {
    await store.close();
  }
}

/** Concurrent POSTs of one device's windows each: enough to keep group commit busy, as a fleet of HTTP clients would. */
const HTTP_CONCURRENCY = 8;
/** How often the service path polls InfluxDB's point count (ms): short next to a pass, light on influxd. */
const COUNT_POLL_MS = 100;

/**
 * Through the service: `serve --store influx` in this process, every device registered (default spec), then each device's windows
 * POSTed (one request per device, 8 at a time); each 201 follows the local SQLite commit, and the outbox writer copies
 * the windows to InfluxDB behind it. The pass lasts from the first POST until InfluxDB holds every point.
 */
async function throughService(url: string, database: string, windows: readonly StoredWindow[]): Promise<Pass> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-influx-'));
  const config = loadServeConfig(
    [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--no-serial-discovery',
      '--store',
      'influx',
      '--influx-url',
      url,
      '--influx-database',
      database,
    ],
    {},
  );
  const service = await startService(config, { log: silentLogger, layers: [storeLayer] });
  const base = `http://127.0.0.1:${service.port}`;
  const headers = { authorization: `Bearer ${service.apiToken}`, 'content-type': 'application/json' };
  try {
    const ids = [...new Set(windows.map((w) => w.deviceId))];
    const registered = await fetch(`${base}/api/devices`, {
      method: 'POST',
      headers,
      body: JSON.stringify(ids.map((id) => ({ id }))),
    });
    if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${await registered.text()}`);
    const bodies = ids.map((id) => ({
      id,
      body: JSON.stringify({
        windows: windows
          .filter((w) => w.deviceId === id)
          .map((w) => ({
            seq: w.seq,
            startMs: w.startMs,
            durationS: w.durationS,
            energyJ: w.energyJ,
            sampleCount: w.sampleCount,
            minPowerW: w.minPowerW,
            maxPowerW: w.maxPowerW,
            inferenceCount: w.inferenceCount,
          })),
      }),
    }));
    const started = process.hrtime.bigint();
    let ackedS = 0;
    const pass = await timed(windows.length, async () => {
      let next = 0;
      const post = async (): Promise<void> => {
        while (next < bodies.length) {
          const { id, body } = bodies[next++] as { id: string; body: string };
          const response = await fetch(`${base}/api/devices/${id}/windows`, { method: 'POST', headers, body });
          if (response.status !== 201) throw new Error(`POST windows of ${id} answered ${response.status}: ${await response.text()}`);
        }
      };
      await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, post));
      ackedS = Number(process.hrtime.bigint() - started) / 1e9;
      await waitFor(`InfluxDB to hold ${windows.length} points`, async () => (await countPoints(url, database)) >= windows.length, {
        intervalMs: COUNT_POLL_MS,
        timeoutMs: 300_000,
      });
    });
    return { ...pass, ackedS };
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rate = (pass: Pass): number => pass.windows / pass.seconds;
const best = (passes: Pass[]): Pass => passes.reduce((a, b) => (rate(a) >= rate(b) ? a : b));
const fmt = (pass: Pass): string => `${rate(pass).toFixed(0).padStart(8)} windows/s  (${pass.windows} in ${pass.seconds.toFixed(2)} s)`;

export async function runInfluxBench(): Promise<void> {
  const windows = rows();
  const windowBatches = batches(windows, BATCH);
  const pointBatches = windowBatches.map((batch) => batch.map(windowPoint));
  const influxd = await startInfluxd();
  try {
    process.stdout.write(
      `InfluxDB bench: ${DEVICES} devices × ${WINDOWS_PER_DEVICE} windows in writes of ${BATCH} points, one in flight, influxd 1.6 on loopback; best of ${PASSES}\n`,
    );
    const bare: Pass[] = [];
    const store: Pass[] = [];
    const service: Pass[] = [];
    for (let pass = 0; pass < PASSES; pass += 1) {
      const bareDb = `bench_bare_${pass}`;
      bare.push(await bareClient(influxd.url, bareDb, pointBatches));
      const storeDb = `bench_store_${pass}`;
      store.push(await throughStore(influxd.url, storeDb, windowBatches));
      const serviceDb = `bench_service_${pass}`;
      service.push(await throughService(influxd.url, serviceDb, windows));
      for (const database of [bareDb, storeDb, serviceDb]) {
        const count = await countPoints(influxd.url, database);
        if (count !== windows.length) throw new Error(`${database} holds ${count} points, not ${windows.length}`);
      }
    }
    const lines = [
      `baseline: bare influx client, writePoints of ${BATCH}     ${fmt(best(bare))}`,
      `InfluxWindowStore.writeWindows of ${BATCH}              ${fmt(best(store))}   ratio ${(rate(best(store)) / rate(best(bare))).toFixed(2)}`,
      `serve --store influx: HTTP POST → SQLite → outbox → InfluxDB ${fmt(best(service))}   ratio ${(rate(best(service)) / rate(best(bare))).toFixed(2)}`,
      `  (every window acknowledged after ${best(service).ackedS?.toFixed(2)} s; the rest is the outbox writer catching up)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runInfluxBench();
}
