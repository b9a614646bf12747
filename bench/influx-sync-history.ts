/**
 * What the fleet sync's re-read of a changed device costs influxd when devices have a **long history**, before and
 * after the per-period fold (docs/influxdb-schema.md § Aggregates), against a real influxd, in one run:
 * - `main full read`: the statement every re-read sent before (d679d13: the 16 functions over all the device's points,
 *   `GROUP BY "device"`, then `distinct("instrument")` for the instrumented devices), 500 ids per statement and request;
 * - `tail re-read`: `SharedStore.syncFleet()` after one new window per device, which reads each changed device from the
 *   period it kept on (two or three periods of points) and folds them onto its kept prefix;
 * - `fold full read`: `InfluxWindowStore.aggregates` (a fresh instance's startup load, the FULL_REREAD_MS sweep): every
 *   period from 0, one row per device and period.
 * The three alternate round by round (the host's speed drifts); each row gives influxd's CPU (/proc/<pid>/stat) and this
 * process's per device read. At the end, what the SharedStore serves equals a fresh fold from the start, bit for bit.
 * `npx tsx bench/influx-sync-history.ts [devices]` (default 1 000); BENCH_HISTORY_POINTS points per device (default 500),
 * BENCH_HISTORY_SPACING_S seconds apart (default 60: 500 points span 9 periods), BENCH_HISTORY_ROUNDS (default 2).
 */
import { pathToFileURL } from 'node:url';
import { escape } from 'influx';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { AGGREGATE_PERIOD_MS } from '../src/store/influx/aggregate-fold.js';
import { InfluxRegistry } from '../src/store/influx/influx-registry.js';
import { INFLUX_AGGREGATE_IDS_PER_REQUEST, InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { OUTBOX_BATCH_WINDOWS } from '../src/store/outbox/outbox-writer.js';
import { SharedStore } from '../src/store/shared-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { StoredWindow } from '../src/store/window-store.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { checkServedBitForBit, syncWindow, type SyncWindowShape } from './sync-windows.js';
import { cpuMicros, findPid } from './proc-cpu.js';

const POINTS = Number(process.env.BENCH_HISTORY_POINTS ?? 500);
const SPACING_MS = Number(process.env.BENCH_HISTORY_SPACING_S ?? 60) * 1000;
const ROUNDS = Number(process.env.BENCH_HISTORY_ROUNDS ?? 2);
const T0_MS = Date.UTC(2026, 10, 1);

/** main's aggregate statement (d679d13, src/store/influx/influx-window-store.ts), for the `before` figure. */
const MAIN_SELECT =
  'sum("energy_j") AS energy_j, sum("duration_s") AS observed_s, count("energy_j") AS windows, sum("samples") AS samples, ' +
  'sum("inferences") AS inferences, min("min_power_w") AS min_power_w, max("max_power_w") AS max_power_w, max("seq") AS max_seq, ' +
  'min("start_ms") AS first_seen_ms, max("end_ms") AS last_seen_ms, sum("energy_sq_j2") AS energy_sq_j2, ' +
  'sum("energy_duration_js") AS energy_duration_js, sum("duration_sq_s2") AS duration_sq_s2, sum("inference_span") AS inference_span_windows, ' +
  'sum("instrumented_s") AS instrumented_s, count("instrument") AS instrument_windows';

/** influxd's pid: the bench reads its CPU from /proc. */
function influxdPid(dir: string): number {
  const pid = findPid('influxd', dir);
  if (pid === undefined) throw new Error('influxd not found');
  return pid;
}

const SHAPE: SyncWindowShape = { t0Ms: T0_MS, spacingMs: SPACING_MS, drift: true, instrumentEvery: 50 };

/** main's read of `ids` (both requests, sequentially per 500 ids), answering the number of rows. */
async function mainFullRead(url: string, database: string, ids: readonly string[]): Promise<number> {
  let rows = 0;
  const query = async (q: string): Promise<{ results: { series?: { tags: { device: string }; values: unknown[][] }[] }[] }> => {
    const response = await fetch(`${url}/query?db=${database}&epoch=ms`, { method: 'POST', body: new URLSearchParams({ q }) });
    return (await response.json()) as { results: { series?: { tags: { device: string }; values: unknown[][] }[] }[] };
  };
  for (let from = 0; from < ids.length; from += INFLUX_AGGREGATE_IDS_PER_REQUEST) {
    const where = ids
      .slice(from, from + INFLUX_AGGREGATE_IDS_PER_REQUEST)
      .map((id) => `"device" = ${escape.stringLit(id)}`)
      .join(' OR ');
    const answer = await query(`SELECT ${MAIN_SELECT} FROM "energy_window" WHERE ${where} GROUP BY "device"`);
    const instrumented = (answer.results[0]?.series ?? []).filter((series) => Number(series.values[0]?.[16] ?? 0) > 0).map((series) => series.tags.device);
    rows += answer.results[0]?.series?.length ?? 0;
    if (instrumented.length === 0) continue;
    const named = instrumented.map((id) => `"device" = ${escape.stringLit(id)}`).join(' OR ');
    await query(`SELECT distinct("instrument") AS instrument FROM "energy_window" WHERE ${named} GROUP BY "device"`);
  }
  return rows;
}

async function run(devices: number): Promise<void> {
  const influxd = await startInfluxd();
  const pid = influxdPid(influxd.dir);
  const database = 'bench_history';
  try {
    const ids = Array.from({ length: devices }, (_, n) => `hist-${String(n).padStart(6, '0')}`);
    const writer = new InfluxWindowStore({ url: influxd.url, database, writerId: 'bench-writer' });
    const loadStarted = performance.now();
    // Period by period, every device: as a live fleet writes, so that influxd's cache snapshots to TSM as it would.
    let batch: StoredWindow[] = [];
    for (let seq = 0; seq < POINTS; seq += 1) {
      for (const id of ids) {
        batch.push(syncWindow(id, seq, SHAPE));
        if (batch.length >= OUTBOX_BATCH_WINDOWS) {
          await writer.writeWindows(batch);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await writer.writeWindows(batch);
    const periods = Math.floor(((POINTS - 1) * SPACING_MS) / AGGREGATE_PERIOD_MS) + 1;
    process.stdout.write(
      `${devices} devices × ${POINTS} points ${SPACING_MS / 1000} s apart (${periods} periods of ${AGGREGATE_PERIOD_MS / 60_000} min), loaded in ${((performance.now() - loadStarted) / 1000).toFixed(0)} s\n`,
    );
    const local = SqliteStore.open(':memory:');
    await local.createDevices(ids.map((id) => ({ id, spec: SEED_DEFAULT_SPEC })));
    // A clock standing still: no share of the full re-read sweep in the measured passes (the sweep is the fold full read).
    const store = new SharedStore(
      local,
      new InfluxWindowStore({ url: influxd.url, database }),
      new InfluxRegistry({ url: influxd.url, database }),
      'bench',
      () => 0,
    );
    for (let from = 0; from < ids.length; from += 64) await Promise.all(ids.slice(from, from + 64).map((id) => store.getAggregate(id)));
    await store.syncFleet(); // takes the load's markers (full reads again)
    store.takeSyncStats();
    let seq = POINTS;
    const measure = async (label: string, work: () => Promise<string>): Promise<void> => {
      const own0 = process.cpuUsage();
      const influx0 = cpuMicros(pid);
      const started = performance.now();
      const note = await work();
      const wallMs = performance.now() - started;
      const own = process.cpuUsage(own0);
      const influxUs = cpuMicros(pid) - influx0;
      process.stdout.write(
        `  ${label.padEnd(16)} influxd ${(influxUs / 1000).toFixed(0).padStart(6)} ms CPU = ${(influxUs / devices).toFixed(0).padStart(6)} µs per device, ` +
          `bench ${((own.user + own.system) / devices).toFixed(0).padStart(5)} µs per device, ${wallMs.toFixed(0).padStart(6)} ms wall (${note})\n`,
      );
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      process.stdout.write(`round ${round + 1}\n`);
      await measure('main full read', async () => `${await mainFullRead(influxd.url, database, ids)} devices answered`);
      // One new window per device (the newest period), then a fleet pass: a tail re-read of each.
      await writer.writeWindows(ids.map((id) => syncWindow(id, seq, SHAPE)));
      seq += 1;
      await measure('tail re-read', async () => {
        await store.syncFleet();
        const stats = store.takeSyncStats();
        return `${stats.tailReads} tail reads, ${stats.fullReads} full`;
      });
      await measure('fold full read', async () => `${(await writer.aggregates(ids)).size} devices answered`);
    }
    // What the store serves equals a fresh fold from the start, bit for bit.
    await checkServedBitForBit(store, writer, ids);
    process.stdout.write('served totals equal a fresh fold, bit for bit\n');
    await store.close();
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(Number(process.argv[2] ?? 1000));
}
