/**
 * The fleet at scale (issue 11, items 1 and 2): a service in a child process over DEVICES registered devices, each
 * with an aggregate, measured for
 * - startup: spawn to the first answer of GET /api/fleet?rows=false and to the first page sorted by power, beside
 *   the same service over an empty store (the fixed cost of starting node and the service);
 * - heap per device: heapUsed after a forced GC, minus the empty service's, over DEVICES;
 * - load at CONNECTIONS connections while a dashboard polls the fleet (a page of 100 by power and the totals, every
 *   POLL_MS) and holds the event stream open: device footprints (random ids), fleet totals (rows=false), a page of 100
 *   sorted by power; each beside a bare node:http server and a trivial Express handler serving the footprint's body
 *   (each in its own process, like the service) in the same run;
 * - the service's event-loop delay (perf_hooks.monitorEventLoopDelay, read with bench/loop-delay-probe.mjs) per phase:
 *   its max is the longest task that ran on the loop.
 * The store is seeded straight through SQLite in one transaction (the registration path is 11b's bench).
 * Run: `npx tsx bench/fleet.ts [devices]` (build dist/ first, `npm run build`, or the service compiles through tsx).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../src/store/data-dir.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { loadGet, type LoadResult } from './load.js';
import { probeReport, stopChild } from './listening-child.js';
import { startBenchServe, type BenchServe } from './serve-child.js';

const DEFAULT_DEVICES = 100_000;
const CONNECTIONS = 50;
/** Seconds of load per measurement. */
const DURATION_S = 10;
/** The dashboard's fleet view reloads its page and totals this often (dashboards/web/js/fleet/fleet-view.js FLEET_POLL_MS is 2 s; 1 s is harsher). */
const POLL_MS = 1_000;
const SYSTEMS = ['kws-typical', 'ic-typical', 'ad-typical', 'kws-best'];
/** Devices a set of dashboards and API clients poll: within the footprint cache (MAX_FOOTPRINT_ENTRIES is 2 000). */
const HOT_DEVICES = 1_000;
const ROOT = new URL('..', import.meta.url).pathname;

export function seed(dataDir: string, devices: number, nowMs: number): void {
  const file = path.join(dataDir, DATABASE_FILE);
  void SqliteStore.open(file).close(); // the schema, by the store's own migrations
  const db = new Database(file);
  const insertDevice = db.prepare(
    `INSERT INTO devices (id, name, fleet, system, training, grid, lifetime_years, deployed_at, spec_json, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAggregate = db.prepare(
    `INSERT INTO device_aggregates (device_id, energy_j, observed_s, windows, samples, inferences, min_power_w, max_power_w, max_seq, first_seen_ms, last_seen_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const created = new Date(nowMs - 86_400_000).toISOString();
  db.transaction(() => {
    for (let i = 0; i < devices; i += 1) {
      const id = `dev-${String(i).padStart(6, '0')}`;
      const spec = { ...SEED_DEFAULT_SPEC, system: SYSTEMS[i % SYSTEMS.length]!, lifetimeYears: 3 + (i % 8) };
      const deployedAt = i % 2 === 0 ? new Date(nowMs - (1 + (i % 700)) * 86_400_000).toISOString() : null;
      insertDevice.run(
        id,
        id,
        `fleet-${i % 10}`,
        spec.system,
        spec.training,
        spec.grid,
        spec.lifetimeYears,
        deployedAt,
        JSON.stringify(spec),
        created,
        created,
      );
      if (i % 5 === 4) continue; // a fifth has not reported: assumed power
      const windows = 10 + (i % 500);
      const powerW = 0.0005 + (i % 997) * 0.00005;
      const lastSeenMs = nowMs - (i % 3 === 0 ? 600_000 : 5_000); // a third offline by age
      insertAggregate.run(
        id,
        powerW * 10 * windows,
        10 * windows,
        windows,
        1000 * windows,
        windows,
        powerW / 2,
        powerW * 2,
        windows - 1,
        lastSeenMs - windows * 10_000,
        lastSeenMs,
      );
    }
  })();
  db.close();
}

/** serve under bench/loop-delay-probe.mjs, with --expose-gc so that the probe reads the heap after a forced GC. */
function startService(dataDir: string): Promise<BenchServe> {
  const probe = pathToFileURL(path.join(ROOT, 'bench/loop-delay-probe.mjs')).href;
  return startBenchServe({ dataDir, nodeFlags: ['--expose-gc', '--import', probe] });
}

/** The probe's next LOOP_DELAY line (it also forces a GC first when node runs with --expose-gc). */
function probe(service: BenchServe): Promise<{ maxMs: number; p99Ms: number; p50Ms: number; heapUsedBytes: number }> {
  return probeReport(service, 'LOOP_DELAY');
}

/** Milliseconds from spawn until each path first answers 200, and until the fleet says it is complete. */
async function timeToAnswer(
  dataDir: string,
  paths: readonly string[],
): Promise<{ service: BenchServe; ms: number[]; completeMs: number; firstComplete: boolean }> {
  const service = await startService(dataDir);
  const started = service.spawnedAtMs;
  const ms: number[] = [];
  let firstComplete = false;
  for (const p of paths) {
    for (;;) {
      const response = await fetch(`${service.url}${p}`).catch(() => null);
      if (response?.status === 200) {
        const body = (await response.json()) as { complete: boolean };
        if (ms.length === 0) firstComplete = body.complete;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    ms.push(performance.now() - started);
  }
  for (;;) {
    const body = (await (await fetch(`${service.url}/api/fleet?rows=false`)).json()) as { complete: boolean };
    if (body.complete) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { service, ms, completeMs: performance.now() - started, firstComplete };
}

function startBaseline(mode: 'bare' | 'express', bodyFile: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench/baseline-server.mjs'), mode, bodyFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`baseline exited (${code})`)));
  });
}

function load(url: string, pathFor: () => string, connections = CONNECTIONS): Promise<LoadResult> {
  return loadGet(url, pathFor, connections, DURATION_S);
}

/** The dashboard's fleet view: an open event stream, and its page and totals reloaded every POLL_MS. */
function startDashboard(url: string): { stop: () => Promise<number> } {
  const controller = new AbortController();
  let polls = 0;
  void fetch(`${url}/api/events`, { signal: controller.signal })
    .then(async (response) => {
      const reader = response.body!.getReader();
      while (!(await reader.read()).done);
    })
    .catch(() => {});
  const timer = setInterval(() => {
    void Promise.all([
      fetch(`${url}/api/fleet?sort=power&dir=desc&offset=0&limit=100`, { headers: { 'accept-encoding': 'br' } }).then((r) => r.arrayBuffer()),
      fetch(`${url}/api/fleet?rows=false`).then((r) => r.arrayBuffer()),
    ])
      .then(() => (polls += 1))
      .catch(() => {});
  }, POLL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      controller.abort();
      return polls;
    },
  };
}

function line(name: string, result: LoadResult, extra = ''): string {
  return `  ${name.padEnd(58)} ${result.requestsPerS.toFixed(0).padStart(7)} req/s  p50 ${String(result.p50Ms).padStart(4)} ms  p99 ${String(result.p99Ms).padStart(4)} ms  non-2xx ${result.non2xx}  errors ${result.errors}${extra}`;
}

export async function runFleetBench(devices = DEFAULT_DEVICES): Promise<void> {
  const nowMs = Date.now();
  const full = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-fleet-'));
  const empty = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-fleet-empty-'));
  const bodyFile = path.join(full, 'footprint-body.json');
  const built = existsSync(path.join(ROOT, 'dist/src/cli/main.js'));
  process.stdout.write(
    `fleet bench: ${devices} devices, ${CONNECTIONS} connections, ${DURATION_S} s per load; dist/ ${built ? 'present' : 'absent (tsx compiles at start)'}\n`,
  );
  const seeded = performance.now();
  seed(full, devices, nowMs);
  void SqliteStore.open(path.join(empty, DATABASE_FILE)).close();
  process.stdout.write(`  seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s\n`);

  const paths = ['/api/fleet?rows=false', '/api/fleet?sort=power&dir=desc&limit=100'];
  const bare = await timeToAnswer(empty, paths);
  const bareHeap = (await probe(bare.service)).heapUsedBytes;
  await bare.service.stop();
  const { service, ms, completeMs, firstComplete } = await timeToAnswer(full, paths);
  try {
    const heap = (await probe(service)).heapUsedBytes;
    process.stdout.write(
      `  startup to first totals: ${ms[0]!.toFixed(0)} ms (${firstComplete ? 'complete' : 'partial, said so: complete=false'}), to first page by power: ${ms[1]!.toFixed(0)} ms, ` +
        `to the whole fleet loaded: ${completeMs.toFixed(0)} ms (empty store: ${bare.ms[0]!.toFixed(0)} / ${bare.ms[1]!.toFixed(0)} / ${bare.completeMs.toFixed(0)} ms)   ` +
        `goal ≤ 2000 ms: ${ms[0]! <= 2000 ? 'met' : 'NOT met'}\n` +
        `  heap after GC: ${(heap / 2 ** 20).toFixed(1)} MiB (empty store ${(bareHeap / 2 ** 20).toFixed(1)} MiB): ` +
        `${((heap - bareHeap) / devices).toFixed(0)} B per device   goal ≤ 2048 B: ${(heap - bareHeap) / devices <= 2048 ? 'met' : 'NOT met'}\n`,
    );

    const sample = await (await fetch(`${service.url}/api/devices/dev-000001/footprint`)).text();
    writeFileSync(bodyFile, sample);
    const baselines: Record<string, LoadResult> = {};
    for (const mode of ['bare', 'express'] as const) {
      const baseline = await startBaseline(mode, bodyFile);
      try {
        baselines[mode] = await load(baseline.url, () => '/');
      } finally {
        await stopChild(baseline.child);
      }
    }
    process.stdout.write(`${line(`baseline: bare node:http, same ${sample.length}-byte body`, baselines['bare']!)}\n`);
    process.stdout.write(`${line('baseline: trivial Express handler, same body', baselines['express']!)}\n`);

    const dashboard = startDashboard(service.url);
    await probe(service); // reset the histogram: each phase below reports its own
    const randomId = () => `dev-${String(Math.floor(Math.random() * devices)).padStart(6, '0')}`;
    const hotStride = Math.max(1, Math.floor(devices / HOT_DEVICES));
    const hotId = () => `dev-${String(Math.floor(Math.random() * Math.min(HOT_DEVICES, devices)) * hotStride).padStart(6, '0')}`;
    const footprint = await load(service.url, () => `/api/devices/${hotId()}/footprint`);
    const footprintLoop = await probe(service);
    const cold = await load(service.url, () => `/api/devices/${randomId()}/footprint`);
    const coldLoop = await probe(service);
    const totals = await load(service.url, () => '/api/fleet?rows=false');
    const totalsLoop = await probe(service);
    const page = await load(service.url, () => '/api/fleet?sort=power&dir=desc&offset=0&limit=100', 10);
    const pageLoop = await probe(service);
    const polls = await dashboard.stop();
    const ratio = footprint.requestsPerS / baselines['express']!.requestsPerS;
    const loop = (d: { maxMs: number; p99Ms: number }) => `  loop max ${d.maxMs} ms, p99 ${d.p99Ms} ms`;
    process.stdout.write(
      `  (dashboard open: event stream + page and totals every ${POLL_MS} ms; ${polls} polls answered during the loads)\n` +
        `${line(`GET /api/devices/:id/footprint (${HOT_DEVICES} polled devices)`, footprint, loop(footprintLoop))}\n` +
        `    ${ratio.toFixed(2)}× the trivial Express handler (goal ≥ 1.0), p99 goal ≤ 20 ms: ${footprint.p99Ms <= 20 ? 'met' : 'NOT met'}\n` +
        `${line(`GET /api/devices/:id/footprint (random of ${devices}: cache misses)`, cold, loop(coldLoop))}\n` +
        `    ${(cold.requestsPerS / baselines['express']!.requestsPerS).toFixed(2)}× the trivial Express handler\n` +
        `${line('GET /api/fleet?rows=false', totals, loop(totalsLoop))}\n` +
        `    p99 goal ≤ 20 ms: ${totals.p99Ms <= 20 ? 'met' : 'NOT met'}\n` +
        `${line('GET /api/fleet?sort=power&dir=desc&limit=100 (10 conn.)', page, loop(pageLoop))}\n` +
        `    p99 goal ≤ 50 ms: ${page.p99Ms <= 50 ? 'met' : 'NOT met'}; no loop task over 10 ms: ${Math.max(footprintLoop.maxMs, coldLoop.maxMs, totalsLoop.maxMs, pageLoop.maxMs) <= 10 ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    await service.stop();
    rmSync(full, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runFleetBench(Number(process.argv[2] ?? DEFAULT_DEVICES));
