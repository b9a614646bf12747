/**
 * The fleet index's edge cases at scale (issue 11: no event-loop task over 10 ms at 100 000 devices), in process: a
 * FleetIndex over an in-memory SQLite store of N devices with windows, and for each case the longest stretch between
 * two turns of a setImmediate ticker (the smaller of its CPU time and its wall time, see processCpuMs). Cases:
 * - `clock back`: every device online by the age of its last window, then the clock steps back 5 s (an NTP step) and
 *   the totals and the overview are read: both recount every device's online state.
 * - `page N by power|id, plain|gzip`: one fleet page of MAX_FLEET_PAGE_ROWS (2 000) rows, computed, rendered,
 *   serialised and written (FleetPages.answer with a stub response), gzip compressed off the loop.
 * - `latest device moves fleet`: the device holding the fleet's latest window moves to another fleet, then the
 *   overview is read (its latest-window figure is recomputed).
 * - `bulk edit`: every device renamed (each change heard on the live bus), then the index's refresh of them all.
 * - `footprint snapshots`: one round's points from every device's fleet row (src/service/footprint-snapshots.ts, with
 *   InfluxDB configured, every FOOTPRINT_SNAPSHOT_INTERVAL_MS), not written anywhere.
 *
 * npx tsx bench/fleet-edges.ts [devices]   (default 100000)
 * BENCH_REPEAT=3  runs of each case (the longest task of each run is printed; report the median)
 * BENCH_CASES=clock,page,moves,edit,snapshots  only these cases (default: all; `none`: the load alone)
 * node --expose-gc --import tsx bench/fleet-edges.ts  also prints the heap per device after the load
 * BENCH_EXPIRY_CHUNK=2048  the index's expiries (and recount) per turn instead of EXPIRY_CHUNK_DEVICES
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildCatalogue } from '../src/catalogue/load-catalogue.js';
import type { EnergyWindow } from '../src/domain/types.js';
import { MAX_FLEET_PAGE_ROWS } from '../src/http/limits.js';
import { FleetPages } from '../src/http/routes/fleet.js';
import { PresenceRegistry } from '../src/live/device-presence.js';
import { LiveBus } from '../src/live/live-bus.js';
import { FleetIndex } from '../src/service/fleet-index.js';
import type { FleetPageQuery } from '../src/service/fleet-page.js';
import { footprintSnapshots } from '../src/service/footprint-snapshots.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { benchFleetWindow } from './bench-fleet.js';

const DEVICES = Number(process.argv[2] ?? 100_000);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 3);
/** The service's default online threshold (src/server/core-config.ts ONLINE_THRESHOLD_MS is 60 s). */
const THRESHOLD_MS = 60_000;
const WINDOWS_PER_DEVICE = 2;
const POPULATE_BATCH = 5_000;
const CASES = (process.env['BENCH_CASES'] ?? 'clock,page,moves,edit,snapshots').split(',');
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** The clock steps back this much (an NTP correction). */
const STEP_BACK_MS = 5_000;

/**
 * The process's CPU time (ms): unlike /proc/thread-self/schedstat, which a thread that never sleeps (a busy event loop)
 * sees move only at scheduler ticks (4 ms here), getrusage counts the running thread up to the call. It also counts
 * other threads (GC helpers, gzip in the libuv pool), so each gap is taken as the smaller of its CPU time and its wall
 * time: both bound the task from above (wall time also counts the time other processes held the core).
 */
const processCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Run `work` while a setImmediate ticker measures each turn (min of CPU and wall time between two ticks): the longest, and the total CPU. */
async function longestTask(work: () => Promise<unknown> | unknown): Promise<{ maxMs: number; totalMs: number; turns: number }> {
  let maxMs = 0;
  let turns = 0;
  let running = true;
  const startMs = processCpuMs();
  let lastCpuMs = startMs;
  let lastWallMs = performance.now();
  const tick = (): void => {
    const cpuMs = processCpuMs();
    const wallMs = performance.now();
    maxMs = Math.max(maxMs, Math.min(cpuMs - lastCpuMs, wallMs - lastWallMs));
    lastCpuMs = cpuMs;
    lastWallMs = wallMs;
    turns += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await new Promise((resolve) => setImmediate(resolve));
  lastCpuMs = processCpuMs();
  lastWallMs = performance.now();
  maxMs = 0;
  await work();
  running = false;
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return { maxMs, totalMs: processCpuMs() - startMs, turns };
}

function fmt(result: { maxMs: number; totalMs: number; turns: number }): string {
  return `longest task ${result.maxMs.toFixed(1)} ms (CPU ${result.totalMs.toFixed(1)} ms in ${result.turns} turns)`;
}

async function main(): Promise<void> {
  let nowMs = T0 + WINDOWS_PER_DEVICE * 10_000 + 1_000;
  const clock = (): number => nowMs;
  const catalogue = buildCatalogue();
  const store = SqliteStore.open(':memory:');
  const bus = new LiveBus();
  const presence = new PresenceRegistry(clock);
  const populateStartMs = performance.now();
  await store.createDevices(Array.from({ length: DEVICES }, (_, i) => ({ id: `bench-${i}`, fleet: `fleet-${i % 10}`, spec: SEED_DEFAULT_SPEC })));
  const batch: EnergyWindow[] = [];
  for (let i = 0; i < DEVICES; i += 1) {
    for (let seq = 0; seq < WINDOWS_PER_DEVICE; seq += 1) batch.push(benchFleetWindow(i, seq, T0));
    if (batch.length >= POPULATE_BATCH) await store.appendWindows(batch.splice(0));
  }
  if (batch.length > 0) await store.appendWindows(batch.splice(0));
  const expiryChunk = process.env['BENCH_EXPIRY_CHUNK'];
  const index = new FleetIndex({
    store,
    catalogue,
    bus,
    presence,
    clock,
    onlineThresholdMs: THRESHOLD_MS,
    ...(expiryChunk === undefined ? {} : { expiryChunkDevices: Number(expiryChunk) }),
  });
  const load = await longestTask(() => index.start());
  console.log(`${DEVICES} devices: populated in ${((performance.now() - populateStartMs) / 1000).toFixed(1)} s; load: ${fmt(load)}`);
  console.log(`online ${index.totals().online} of ${index.totals().devices}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    index.totals();
    index.overview(nowMs);
    gc();
    // With the store's, the catalogue's and the modules' heap: compare two runs' figures, not the index's alone.
    console.log(`heap after load (node --expose-gc): ${(process.memoryUsage().heapUsed / DEVICES / 1024).toFixed(3)} KiB per device`);
  }

  for (let run = 0; run < (CASES.includes('clock') ? REPEAT : 0); run += 1) {
    index.totals();
    index.overview(nowMs);
    nowMs -= STEP_BACK_MS;
    const back = await longestTask(async () => {
      index.totals();
      index.overview(nowMs);
      while (!index.complete) await new Promise((resolve) => setImmediate(resolve));
    });
    nowMs += STEP_BACK_MS + 1;
    console.log(`clock back ${STEP_BACK_MS} ms (totals + overview): ${fmt(back)}`);
  }

  const req = (gzip: boolean): IncomingMessage => ({ headers: gzip ? { 'accept-encoding': 'gzip' } : {} }) as IncomingMessage;
  const res = (): ServerResponse => {
    const stub = { writeHead: () => stub, end: () => stub };
    return stub as unknown as ServerResponse;
  };
  for (const sort of CASES.includes('page') ? (['power', 'id'] as const) : []) {
    for (const gzip of [false, true]) {
      const query: FleetPageQuery = { status: 'all', sort, direction: sort === 'power' ? -1 : 1, offset: 0, limit: MAX_FLEET_PAGE_ROWS };
      for (let run = 0; run < REPEAT; run += 1) {
        const pages = new FleetPages(index, catalogue, clock);
        const page = await longestTask(() => pages.answer(req(gzip), res(), query));
        console.log(`page ${MAX_FLEET_PAGE_ROWS} by ${sort}, ${gzip ? 'gzip' : 'plain'}: ${fmt(page)}`);
      }
    }
  }

  for (let run = 0; run < (CASES.includes('moves') ? REPEAT : 0); run += 1) {
    // One more window makes this device the fleet's latest; then it moves.
    const id = `bench-${run}`;
    const latest = benchFleetWindow(run, WINDOWS_PER_DEVICE + run, T0);
    await store.appendWindows([latest]);
    bus.publish({ type: 'windows', deviceId: id, inserted: 1, last: latest });
    await index.current();
    index.overview(nowMs);
    await store.updateDevice(id, { fleet: `moved-${run}` });
    bus.publish({ type: 'device', deviceId: id });
    await index.current();
    const moved = await longestTask(async () => {
      index.overview(nowMs);
      while (!index.complete) await new Promise((resolve) => setImmediate(resolve));
    });
    console.log(`latest device moves fleet, overview read: ${fmt(moved)}`);
  }

  for (let run = 0; run < (CASES.includes('edit') ? REPEAT : 0); run += 1) {
    for (let i = 0; i < DEVICES; i += 1) {
      await store.updateDevice(`bench-${i}`, { name: `renamed-${run}-${i}` });
      bus.publish({ type: 'device', deviceId: `bench-${i}` });
    }
    const edit = await longestTask(() => index.current());
    console.log(`every device renamed, then the refresh (bulk edit): ${fmt(edit)}`);
  }
  for (let run = 0; run < (CASES.includes('snapshots') ? REPEAT : 0); run += 1) {
    let points = 0;
    const round = await longestTask(async () => (points = (await footprintSnapshots(index, nowMs)).snapshots.length));
    console.log(`footprint snapshots, one round of ${points} points: ${fmt(round)}`);
  }
  index.stop();
  await store.close();
}

await main();
