/**
 * What the fleet sync costs influxd under fleet-wide churn (every device written between two passes, as in
 * `bench/influx.ts`), against a real influxd, per device and pass: BENCH_CHURN_DEVICES devices (default 1 000), each
 * with BENCH_CHURN_WINDOWS windows (default 50, one period, 10 s apart) before the first pass, then
 * BENCH_CHURN_ROUNDS rounds (default 4) of: one new window per device (their change markers), then what the fleet
 * index runs at each tick: `SharedStore.syncRegistry()` and `SharedStore.syncFleet()`. Each round reports influxd's CPU
 * (/proc/<pid>/stat) for the registry read and for the pass (markers and the re-read of every changed device), per
 * device, and this process's CPU. At the end every device served equals a fresh read, bit for bit. For an A/B
 * against another checkout, run the same file there (it imports that checkout's src/).
 * `npx tsx bench/influx-sync-churn.ts`
 */
import { pathToFileURL } from 'node:url';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { InfluxRegistry } from '../src/store/influx/influx-registry.js';
import { InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { OUTBOX_BATCH_WINDOWS } from '../src/store/outbox/outbox-writer.js';
import { SharedStore } from '../src/store/shared-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { checkServedBitForBit, syncWindow, type SyncWindowShape } from './sync-windows.js';
import { cpuMicros, findPid, ownCpuMicros } from './proc-cpu.js';

const DEVICES = Number(process.env.BENCH_CHURN_DEVICES ?? 1_000);
const WINDOWS = Number(process.env.BENCH_CHURN_WINDOWS ?? 50);
const ROUNDS = Number(process.env.BENCH_CHURN_ROUNDS ?? 4);
const SPACING_MS = 10_000;
/** The first window's start: the start of an hour, so that BENCH_CHURN_WINDOWS ≤ 360 stay in one period. */
const T0_MS = Date.UTC(2026, 11, 1, 10);

const SHAPE: SyncWindowShape = { t0Ms: T0_MS, spacingMs: SPACING_MS, drift: true };

async function run(): Promise<void> {
  const influxd = await startInfluxd();
  const pid = findPid('influxd', influxd.dir);
  if (pid === undefined) throw new Error('influxd not found');
  const database = 'bench_churn';
  try {
    const ids = Array.from({ length: DEVICES }, (_, n) => `churn-${String(n).padStart(6, '0')}`);
    const writer = new InfluxWindowStore({ url: influxd.url, database, writerId: 'bench-writer' });
    const windows = ids.flatMap((id) => Array.from({ length: WINDOWS }, (_, seq) => syncWindow(id, seq, SHAPE)));
    for (let from = 0; from < windows.length; from += OUTBOX_BATCH_WINDOWS) await writer.writeWindows(windows.slice(from, from + OUTBOX_BATCH_WINDOWS));
    const local = SqliteStore.open(':memory:');
    const store = new SharedStore(
      local,
      new InfluxWindowStore({ url: influxd.url, database }),
      new InfluxRegistry({ url: influxd.url, database }),
      'bench',
      () => 0,
    );
    await store.createDevices(ids.map((id) => ({ id, spec: SEED_DEFAULT_SPEC })));
    for (let from = 0; from < ids.length; from += 64) await Promise.all(ids.slice(from, from + 64).map((id) => store.getAggregate(id)));
    await store.syncFleet(); // takes the load's markers
    store.takeSyncStats();
    process.stdout.write(`${DEVICES} devices × ${WINDOWS} windows (one period), one new window per device between passes\n`);
    for (let round = 0; round < ROUNDS; round += 1) {
      await writer.writeWindows(ids.map((id) => syncWindow(id, WINDOWS + round, SHAPE)));
      const c0 = cpuMicros(pid);
      const own0 = ownCpuMicros();
      await store.syncRegistry();
      const c1 = cpuMicros(pid);
      await store.syncFleet();
      const c2 = cpuMicros(pid);
      const own = ownCpuMicros() - own0;
      const stats = store.takeSyncStats();
      process.stdout.write(
        `  round ${round + 1}: influxd registry ${((c1 - c0) / DEVICES).toFixed(0).padStart(5)} µs/device, pass ${((c2 - c1) / DEVICES).toFixed(0).padStart(5)} µs/device ` +
          `(${stats.tailReads} tail, ${stats.fullReads} full reads), total ${((c2 - c0) / DEVICES).toFixed(0).padStart(5)}; bench ${(own / DEVICES).toFixed(0)} µs/device\n`,
      );
    }
    await checkServedBitForBit(store, writer, ids);
    process.stdout.write('every device served equals a fresh read, bit for bit\n');
    await store.close();
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
