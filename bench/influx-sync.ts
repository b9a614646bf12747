/**
 * The cost of one fleet sync pass through the SharedStore (what the fleet index does every FLEET_SYNC_INTERVAL_MS with
 * `--store influx`), against a real influxd holding `BENCH_SYNC_WINDOWS` windows per device. Two ways, in the same run:
 * - walk: every registered device paged through `listDevicesWithAggregates` (64 per page, as the fleet index reads
 *   them; what its sync did before `syncFleet`, and still its load): the first one reads every device in full;
 * - pass: `SharedStore.syncFleet()` (the index's sync now), then `getAggregate` of each device it answers (what the
 *   index re-reads by id): O(changed devices) plus the full re-read's share. Measured FLEET_SYNC_INTERVAL_MS after an
 *   unmeasured pass, as the index runs them (the share follows the time since the last pass).
 * Each with nothing written since, and after 1 % of the devices got new windows through another writer. Reports wall
 * time, the CPU of this process and of influxd, and the longest event-loop task of this process (the loop's delay
 * beyond a 1 ms resolution) per pass; at the end every device's served totals are compared with a full read.
 * `npx tsx bench/influx-sync.ts 10000 100000` (device counts; default 10 000).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { FLEET_SYNC_INTERVAL_MS } from '../src/service/fleet-index.js';
import { pathToFileURL } from 'node:url';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { InfluxRegistry } from '../src/store/influx/influx-registry.js';
import { InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { OUTBOX_BATCH_WINDOWS } from '../src/store/outbox/outbox-writer.js';
import { SharedStore } from '../src/store/shared-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { syncWindow, type SyncWindowShape } from './sync-windows.js';
import { cpuMicros, findPid } from './proc-cpu.js';

/** Windows per device already in InfluxDB: the read of a changed device scans them all. */
const WINDOWS_PER_DEVICE = Number(process.env.BENCH_SYNC_WINDOWS ?? 5);
/** Devices per page, as the fleet index pages (LOAD_PAGE_DEVICES). */
const PAGE = 64;
/** Share of the devices written between the second and third pass. */
const CHANGED_SHARE = 0.01;
const T0_MS = Date.parse('2026-11-01T00:00:00Z');

/** influxd's pid: the bench reads its CPU from /proc. */
function influxdPid(dir: string): number {
  const pid = findPid('influxd', dir);
  if (pid === undefined) throw new Error('influxd not found');
  return pid;
}

const SHAPE: SyncWindowShape = { t0Ms: T0_MS, spacingMs: 10_000 };

/** The fleet index's sync now: one pass, then each answered device's totals as the index re-reads them by id. */
async function incrementalPass(store: SharedStore): Promise<number> {
  const changes = await store.syncFleet();
  for (const id of [...changes.devices, ...changes.aggregates]) await store.getAggregate(id);
  return changes.devices.length + changes.aggregates.length;
}

async function walkPass(store: SharedStore): Promise<number> {
  let afterId: string | undefined;
  let devices = 0;
  for (;;) {
    const page = await store.listDevicesWithAggregates({ limit: PAGE, offset: 0, ...(afterId === undefined ? {} : { afterId }) });
    devices += page.length;
    if (page.length < PAGE) return devices;
    afterId = page.at(-1)!.device.id;
  }
}

async function runAt(devices: number): Promise<void> {
  const influxd = await startInfluxd();
  const pid = influxdPid(influxd.dir);
  const database = 'bench_sync';
  try {
    const ids = Array.from({ length: devices }, (_, n) => `sync-${String(n).padStart(6, '0')}`);
    const writer = new InfluxWindowStore({ url: influxd.url, database });
    // Written in slices, so that no array of every window stays in this process's heap (its GC would be charged to the passes).
    const perBatch = Math.max(1, Math.floor(OUTBOX_BATCH_WINDOWS / WINDOWS_PER_DEVICE));
    for (let from = 0; from < ids.length; from += perBatch) {
      await writer.writeWindows(
        ids.slice(from, from + perBatch).flatMap((id) => Array.from({ length: WINDOWS_PER_DEVICE }, (_, seq) => syncWindow(id, seq, SHAPE))),
      );
    }
    const local = SqliteStore.open(':memory:');
    await local.createDevices(ids.map((id) => ({ id, spec: SEED_DEFAULT_SPEC })));
    const store = new SharedStore(local, new InfluxWindowStore({ url: influxd.url, database }), new InfluxRegistry({ url: influxd.url, database }), 'bench');
    let written = 0;
    /** New windows for 1 % of the devices (another share each time), through another writer. */
    const writeShare = async (): Promise<string> => {
      const changed = ids.filter((_, n) => n % Math.round(1 / CHANGED_SHARE) === written % Math.round(1 / CHANGED_SHARE));
      await new InfluxWindowStore({ url: influxd.url, database }).writeWindows(changed.map((id) => syncWindow(id, WINDOWS_PER_DEVICE + written, SHAPE)));
      written += 1;
      return `${changed.length} devices written since`;
    };
    const measure = async (way: 'walk' | 'pass', write: boolean, first = false): Promise<void> => {
      if (way === 'pass') {
        // As the fleet index runs them: the previous pass FLEET_SYNC_INTERVAL_MS ago, so the full re-read's share is
        // the steady state's (fleet × interval / FULL_REREAD_MS), not the time the walks above took.
        await store.syncFleet();
        store.takeSyncStats();
        await sleep(FLEET_SYNC_INTERVAL_MS);
      }
      const label = first ? 'first (every device read)' : write ? await writeShare() : 'nothing written since';
      const own0 = process.cpuUsage();
      const influx0 = cpuMicros(pid);
      let gcMaxMs = 0;
      const gc = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration);
      });
      gc.observe({ entryTypes: ['gc'] });
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const started = performance.now();
      const read = way === 'walk' ? await walkPass(store) : await incrementalPass(store);
      const wallMs = performance.now() - started;
      loop.disable();
      gc.disconnect();
      const own = process.cpuUsage(own0);
      const stats = store.takeSyncStats();
      if (way === 'walk' && read !== devices) throw new Error(`pass read ${read} devices, not ${devices}`);
      process.stdout.write(
        `${String(devices).padStart(7)} devices, ${way}, ${label.padEnd(32)} ${wallMs.toFixed(0).padStart(6)} ms wall, ` +
          `bench ${((own.user + own.system) / 1000).toFixed(0).padStart(5)} ms CPU, influxd ${((cpuMicros(pid) - influx0) / 1000).toFixed(0).padStart(5)} ms CPU, ` +
          `longest task ${Math.max(0, loop.max / 1e6 - 1).toFixed(1)} ms (GC pause ${gcMaxMs.toFixed(1)}) ` +
          `(${stats.fullReads} devices read in full, ${stats.tailReads} from their kept period, ${stats.kept} kept, ${stats.markersRead} markers${way === 'pass' ? `, ${read} answered` : ''})\n`,
      );
    };
    await measure('walk', false, true);
    await measure('walk', false);
    await measure('pass', false);
    await measure('walk', true);
    await measure('pass', true);
    // What was served equals a full read now.
    const truth = await writer.aggregates(ids);
    for (const id of ids) {
      const served = await store.getAggregate(id);
      if (JSON.stringify(served) !== JSON.stringify(truth.get(id)))
        throw new Error(`${id}: served ${JSON.stringify(served)}, InfluxDB ${JSON.stringify(truth.get(id))}`);
    }
    await store.close();
  } finally {
    await influxd.close();
  }
}

export async function runInfluxSyncBench(counts: readonly number[] = [10_000]): Promise<void> {
  process.stdout.write(`Fleet sync through SharedStore: ${WINDOWS_PER_DEVICE} windows per device in InfluxDB, pages of ${PAGE}\n`);
  for (const devices of counts) await runAt(devices);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const counts = process.argv.slice(2).map(Number);
  await runInfluxSyncBench(counts.length > 0 ? counts : undefined);
}
