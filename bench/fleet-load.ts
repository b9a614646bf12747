/**
 * The fleet at scale (issue 11): 10 000 and 100 000 registered devices with windows, the service in its own process,
 * autocannon at 50 connections on /livez, /api/health, a device footprint, the fleet totals (rows=false) and a page of
 * 100 rows sorted by power, while a dashboard's fleet view polls once a second in the background (the page it shows,
 * the overview its header and panel show, the top devices by power). Half the devices are deployed, so their accrued
 * footprint grows and the fleet index's version moves (a cached page goes stale) every accrued step. Each figure
 * stands beside two baselines measured in the same run, each in its own process: bare node:http and a trivial Express
 * handler, serving a body of the same size. Per endpoint: one request at a time (median of SINGLE_REQUESTS), then
 * CONNECTIONS connections, after WARMUP_S of the same load: throughput, p99, and each process's own CPU per request
 * (from /proc, which, unlike throughput, hardly moves when other processes load the machine). Also: the service's event-loop delay during each run
 * (its monitorEventLoopDelay histogram, read from /metrics, which resets it at every scrape) and its longest loop task
 * in main-thread CPU time (bench/loop-task-probe.mjs), heap per device once the whole fleet is loaded, and startup to
 * the first fleet answer and to the whole fleet loaded.
 *
 * npx tsx bench/fleet-load.ts [devices…]          (default 10000 100000)
 * BENCH_DURATION_S=10  seconds per load run (default 10)
 * BENCH_WARMUP_S=2  seconds of the same load before each measured run (service and baselines alike), not counted (0: none)
 * BENCH_FLEET_POLL=/api/fleet?sort=power&dir=desc&limit=100,/api/fleet/overview,…  what the background dashboard asks for once a
 *   second, comma-separated (default: what dashboards/web/js/fleet/fleet-view.js and fleet-status.js poll; `none`: no dashboard)
 * BENCH_LOG_LEVEL=info  the service's --log-level (info: the access log is written, as by default)
 * BENCH_ENDPOINTS=totals,page  only the endpoints whose name contains one of these (default: all)
 * BENCH_NODE_FLAGS="--max-semi-space-size=16"  node flags for the service process after those of `npm start` (package.json), which it always has
 * BENCH_LOOP_DETAIL=1  print every load run's longest loop tasks with their GC pauses and requests (the dashboard-alone phase always)
 * BENCH_LOOP_GAPS_FILE=gaps.json  write the dashboard-alone phase's longest tasks (with their span on the monotonic clock) there; with
 *   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=prof --cpu-prof-interval=100", `node bench/cpu-profile-gaps.mjs prof/CPU…cpuprofile gaps.json`
 *   says what ran in each
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { EnergyWindow } from '../src/domain/types.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { DATABASE_FILE } from '../src/store/data-dir.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { loadGet, type LoadResult } from './load.js';
import { benchFleetWindow } from './bench-fleet.js';
import { probeReport } from './listening-child.js';
import { cpuMicros } from './proc-cpu.js';
import { NPM_START_NODE_FLAGS, startBenchServe, type BenchServe } from './serve-child.js';

const DEFAULT_SIZES = [10_000, 100_000];
/** Concurrent keep-alive connections, as the issue measured. */
const CONNECTIONS = 50;
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
/**
 * Seconds of unmeasured load before each measured run, for the service and both baselines alike (as bench/footprint.ts).
 * The baselines are a fresh process per endpoint, and their first seconds pay JIT and lazy set-up (about twice the CPU
 * per request of later ones) while the service had served the dashboard and the earlier endpoints: measured cold, the
 * baselines looked dearer than they are.
 */
const WARMUP_S = Number(process.env['BENCH_WARMUP_S'] ?? 2);
/** Windows per device: every footprint is computed from measured power. */
const WINDOWS_PER_DEVICE = 2;
/** Windows per append transaction while populating. */
const POPULATE_BATCH = 5_000;
/** Milliseconds between two polls of the background dashboard. */
const POLL_INTERVAL_MS = 1_000;
/** The fleet view's table page, the header's overview, and the panel's top devices by power (fleet-overview-panel.js TOP_N). */
const DASHBOARD_POLL = '/api/fleet?sort=power&dir=desc&offset=0&limit=100,/api/fleet/overview,/api/fleet?sort=power&dir=desc&status=measured&limit=5';
const POLL_PATHS = (process.env['BENCH_FLEET_POLL'] ?? DASHBOARD_POLL).split(',').filter((p) => p !== 'none' && p !== '');
/** Sequential requests per endpoint for the single-request latency (median). */
const SINGLE_REQUESTS = 21;
/** Every other device is deployed, this many days ago at most (so its accrued footprint grows with time). */
const DEPLOYED_DAYS = 700;
const LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'info';
const ENDPOINT_FILTER = (process.env['BENCH_ENDPOINTS'] ?? '').split(',').filter((name) => name !== '');
/** The node flags `npm start` gives `serve` in production (package.json), so the bench measures the same process; then BENCH_NODE_FLAGS. */
const NODE_FLAGS = [...NPM_START_NODE_FLAGS, ...(process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter((flag) => flag !== '')];
const LOOP_DETAIL = process.env['BENCH_LOOP_DETAIL'] === '1';
const LOOP_GAPS_FILE = process.env['BENCH_LOOP_GAPS_FILE'];
/** Milliseconds: the resolution of the service's event-loop delay histogram (src/obs/prometheus.ts); each sample includes it. */
const LOOP_RESOLUTION_MS = 10;
/** Milliseconds between two tries while waiting for the first fleet answer. */
const STARTUP_POLL_MS = 10;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Milliseconds a single request of the bench itself (a sample, a scrape, a poll) may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Every child process this bench started and has not yet seen exit, and every temp dir it has not yet removed: a run
 * that throws, or is stopped by SIGINT or SIGTERM, kills the children (a `serve` left running holds its port, its CPU
 * and its data dir) and removes the dirs on its way out.
 */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function tracked(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Synchronous, so it also runs from `process.on('exit')`: SIGKILL, since nothing of a child is wanted any more. */
function cleanUp(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Exit codes of a process stopped by a signal (128 + its number), as a shell reports them. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** Clean up on every way out of a run; returns the undo, for a caller (bench/run.ts) that goes on after it. */
function cleanUpOnExit(): () => void {
  const onSignal = (signal: keyof typeof SIGNAL_EXIT_CODES): void => {
    process.stderr.write(`fleet bench: ${signal}, stopping ${children.size} child process(es)\n`);
    cleanUp();
    process.exit(SIGNAL_EXIT_CODES[signal]);
  };
  process.on('exit', cleanUp);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('exit', cleanUp);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** GET with a timeout: the body as text, or null when it failed (an overloaded service is a figure, not a crash). */
async function getText(url: string): Promise<{ status: number; text: string } | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: response.status, text: await response.text() };
  } catch {
    return null;
  }
}

interface Endpoint {
  name: string;
  path: (devices: number) => string;
  /** The issue's target for p99 at 100 000 devices, if it sets one. */
  goalP99Ms: number | null;
}

const ALL_ENDPOINTS: Endpoint[] = [
  { name: '/livez', path: () => '/livez', goalP99Ms: 10 },
  { name: '/api/health', path: () => '/api/health', goalP99Ms: null },
  { name: 'device footprint (random id)', path: (devices) => `/api/devices/bench-${Math.floor(Math.random() * devices)}/footprint`, goalP99Ms: 20 },
  { name: 'fleet totals (rows=false)', path: () => '/api/fleet?rows=false', goalP99Ms: 20 },
  { name: 'page of 100 sorted by power', path: () => '/api/fleet?sort=power&dir=desc&limit=100', goalP99Ms: 50 },
];
const ENDPOINTS = ALL_ENDPOINTS.filter((endpoint) => ENDPOINT_FILTER.length === 0 || ENDPOINT_FILTER.some((name) => endpoint.name.includes(name)));

/** Devices and windows written through the store (not HTTP): one transaction for the devices, batches for the windows. */
async function populate(dataDir: string, devices: number): Promise<number> {
  const startMs = performance.now();
  const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
  // createDevice commits (and fsyncs) each insert on its own; one surrounding transaction makes 100 000 take seconds.
  const db = (store as unknown as { db: Database.Database }).db;
  db.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < devices; i += 1) {
    void store.createDevice({
      id: `bench-${i}`,
      fleet: `fleet-${i % 10}`,
      deployedAt: i % 2 === 0 ? new Date(T0 - (1 + (i % DEPLOYED_DAYS)) * 86_400_000).toISOString() : null,
      spec: { ...SEED_DEFAULT_SPEC, system: i % 2 === 0 ? 'kws-typical' : 'ic-typical' },
    });
  }
  db.exec('COMMIT');
  const batch: EnergyWindow[] = [];
  for (let i = 0; i < devices; i += 1) {
    for (let seq = 0; seq < WINDOWS_PER_DEVICE; seq += 1) batch.push(benchFleetWindow(i, seq, T0));
    if (batch.length >= POPULATE_BATCH) await store.appendWindows(batch.splice(0));
  }
  if (batch.length > 0) await store.appendWindows(batch.splice(0));
  await store.close();
  return performance.now() - startMs;
}

/** What bench/loop-task-probe.mjs reports: the longest tasks, each with the GC pauses and the requests inside it. */
interface LoopTasks {
  maxMs: number;
  over10: number;
  gcMaxMs: Record<string, number>;
  long: { ms: number; wallMs: number; monotonicUs: [number, number]; gcMs: number; gc: string[]; requests: Record<string, number> }[];
}

/** Longest loop task (main-thread CPU ms) since the last call, from bench/loop-task-probe.mjs in the service. */
function loopTask(service: BenchServe): Promise<LoopTasks> {
  return probeReport(service, 'LOOP_TASK');
}

/**
 * serve under bench/loop-task-probe.mjs, at LOG_LEVEL; of what it prints after listening only the probe's LOOP_TASK
 * lines are kept (the access log is read and dropped).
 */
function startService(dataDir: string): Promise<BenchServe> {
  return startBenchServe({
    dataDir,
    nodeFlags: ['--import', pathToFileURL(path.join(path.dirname(new URL(import.meta.url).pathname), 'loop-task-probe.mjs')).href, ...NODE_FLAGS],
    args: ['--log-level', LOG_LEVEL],
    token: 'bench-token',
    keepLine: (line) => line.startsWith('LOOP_TASK '),
    onSpawn: tracked,
  });
}

/** Milliseconds from the spawn to the first 200 of the fleet totals (`complete` says whether the whole fleet was in it). */
async function startupToFirstFleetMs(service: BenchServe): Promise<{ ms: number; complete: boolean }> {
  for (;;) {
    const response = await getText(`${service.url}/api/fleet?rows=false`);
    if (response?.status === 200)
      return { ms: performance.now() - service.spawnedAtMs, complete: (JSON.parse(response.text) as { complete: boolean }).complete };
    await new Promise((resolve) => setTimeout(resolve, STARTUP_POLL_MS));
  }
}

/** Milliseconds from the spawn until the fleet totals say the whole fleet is loaded. */
async function startupToCompleteMs(service: BenchServe): Promise<number> {
  for (;;) {
    const response = await getText(`${service.url}/api/fleet?rows=false`);
    if (response?.status === 200 && (JSON.parse(response.text) as { complete: boolean }).complete) return performance.now() - service.spawnedAtMs;
    await new Promise((resolve) => setTimeout(resolve, STARTUP_POLL_MS));
  }
}

/** Median milliseconds of SINGLE_REQUESTS sequential GETs (one request at a time: the latency with no queue). */
async function singleRequestMs(url: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SINGLE_REQUESTS; i += 1) {
    const startMs = performance.now();
    await getText(url);
    times.push(performance.now() - startMs);
  }
  return percentile(times, 0.5);
}

/** One scrape of /metrics: sample name (with its labels as written) → value. Resets the event-loop histogram. */
async function scrape(url: string): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await getText(`${url}/metrics`))?.text.split('\n') ?? []) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The dashboard's fleet view polling in the background: what it asks for (together), once a second; its latencies are kept. */
function startPolling(url: string): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = POLL_PATHS.length > 0;
  const loop = (async () => {
    while (running) {
      const startMs = performance.now();
      const responses = await Promise.all(POLL_PATHS.map((p) => getText(`${url}${p}`)));
      latencies.push(responses.every((response) => response?.status === 200) ? performance.now() - startMs : Infinity);
      const waitMs = POLL_INTERVAL_MS - (performance.now() - startMs);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
}

async function startBaselines(bytes: number): Promise<{ child: ChildProcess; nodeUrl: string; expressUrl: string }> {
  const child = tracked(
    spawn(process.execPath, [new URL('./fleet-load-baseline.mjs', import.meta.url).pathname, String(bytes)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const ports = await new Promise<{ node: number; express: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out) as { node: number; express: number });
    });
    child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
  });
  return { child, nodeUrl: `http://127.0.0.1:${ports.node}`, expressUrl: `http://127.0.0.1:${ports.express}` };
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? NaN;
}

const ms = (seconds: number | undefined): string =>
  seconds === undefined || Number.isNaN(seconds) ? '?' : `${Math.max(0, seconds * 1000 - LOOP_RESOLUTION_MS).toFixed(0)}`;
const cell = (result: LoadResult): string => `${result.requestsPerS.toFixed(0).padStart(6)} /s p99 ${String(result.p99Ms).padStart(5)}`;

interface Row {
  endpoint: Endpoint;
  bytes: number;
  status: number;
  singleMs: number;
  service: LoadResult;
  bare: LoadResult;
  express: LoadResult;
  /** CPU µs per request of the service and of the baselines' process during their runs. */
  serviceCpuUs: number;
  bareCpuUs: number;
  expressCpuUs: number;
  loopMaxMs: string;
  loopP99Ms: string;
  /** Longest loop task in the service's main-thread CPU ms during the run, and how many sampling gaps exceeded 10 ms. */
  taskMaxMs: number;
  tasksOver10: number;
}

/**
 * Load one server, measuring its process's CPU per request over the run, after WARMUP_S of the same load (not counted);
 * `afterWarmup` runs between the two (the service's histogram and loop-task resets).
 */
async function loadWithCpu(
  url: string,
  pid: number | undefined,
  pathFor: () => string,
  afterWarmup?: () => Promise<unknown>,
): Promise<{ result: LoadResult; cpuUs: number }> {
  if (WARMUP_S > 0) await loadGet(url, pathFor, CONNECTIONS, WARMUP_S);
  await afterWarmup?.();
  const cpuBefore = cpuMicros(pid);
  const result = await loadGet(url, pathFor, CONNECTIONS, DURATION_S);
  const requests = result.requestsPerS * DURATION_S;
  return { result, cpuUs: requests > 0 ? (cpuMicros(pid) - cpuBefore) / requests : NaN };
}

function printTable(devices: number, rows: readonly Row[]): void {
  const header = `${'endpoint'.padEnd(30)} ${'bytes'.padStart(8)} | ${'service'.padEnd(22)} p50 | ${'bare node:http'.padEnd(20)} | ${'trivial Express'.padEnd(20)} | ×Expr | goal p99  | loop max/p99 ms | non-2xx err t/o`;
  process.stdout.write(
    `\n${devices} devices, ${CONNECTIONS} connections, ${DURATION_S} s a run, dashboard polling ${POLL_PATHS.join(' + ') || 'nothing'} every ${POLL_INTERVAL_MS} ms\n${header}\n`,
  );
  for (const row of rows) {
    const answered = row.status === 200 && row.service.requestsPerS > 0 && row.service.non2xx === 0 && row.service.errors === 0 && row.service.timeouts === 0;
    const goal =
      row.endpoint.goalP99Ms === null ? '' : `≤ ${row.endpoint.goalP99Ms} ${answered && row.service.p99Ms <= row.endpoint.goalP99Ms ? 'met' : 'NOT'}`;
    process.stdout.write(
      `${row.endpoint.name.padEnd(30)} ${String(row.bytes).padStart(8)} | ${cell(row.service)} ms ${String(row.service.p50Ms).padStart(4)} | ${cell(row.bare)} ms | ${cell(row.express)} ms | ` +
        `${(row.service.requestsPerS / row.express.requestsPerS).toFixed(2).padStart(5)} | ${goal.padEnd(9)} | ${`${row.loopMaxMs} / ${row.loopP99Ms}`.padStart(15)} | ` +
        `${row.service.non2xx} ${row.service.errors} ${row.service.timeouts}${row.status !== 200 ? ` (status ${row.status}${row.status === 0 ? ': no answer within the timeout' : ': not served by this build'})` : ''}\n`,
    );
  }
  const cpuHeader = `${'endpoint'.padEnd(30)} | single request ms | CPU µs/req: service  bare  Express | ×Express by CPU | longest loop task (main-thread CPU ms), gaps > 10 ms`;
  process.stdout.write(`${cpuHeader}\n`);
  for (const row of rows) {
    process.stdout.write(
      `${row.endpoint.name.padEnd(30)} | ${row.singleMs.toFixed(1).padStart(17)} | ${row.serviceCpuUs.toFixed(0).padStart(19)} ${row.bareCpuUs.toFixed(0).padStart(5)} ${row.expressCpuUs.toFixed(0).padStart(8)} | ` +
        `${(row.expressCpuUs / row.serviceCpuUs).toFixed(2).padStart(15)} | ${row.taskMaxMs.toFixed(1).padStart(6)}, ${row.tasksOver10}\n`,
    );
  }
}

/** The longest tasks of a phase, one a line: CPU ms, the GC pauses inside it, the requests that arrived in it. */
function printLoopDetail(label: string, tasks: LoopTasks): void {
  process.stdout.write(`  ${label}: longest GC pause by kind ${JSON.stringify(tasks.gcMaxMs)} ms\n`);
  for (const gap of tasks.long) {
    const requests = Object.entries(gap.requests).map(([p, n]) => `${n}× ${p}`);
    process.stdout.write(
      `    ${gap.ms.toFixed(1).padStart(5)} ms CPU (${gap.wallMs.toFixed(1)} wall), GC ${gap.gcMs.toFixed(1)} ms [${gap.gc.join(', ')}]; requests: ${requests.join(', ') || 'none'}\n`,
    );
  }
}

async function heapUsedBytes(url: string): Promise<number> {
  return (await scrape(url)).get('nodejs_heap_size_used_bytes') ?? NaN;
}

/** Heap used by a service with no device, as the reference for heap per device. */
async function emptyServiceHeap(): Promise<number> {
  const dataDir = tempDir('tinyml-bench-fleet-empty-');
  const service = await startService(dataDir);
  try {
    await startupToCompleteMs(service);
    return await heapUsedBytes(service.url);
  } finally {
    await service.stop();
    removeTempDir(dataDir);
  }
}

export async function runFleetLoadBench(sizes: readonly number[] = DEFAULT_SIZES): Promise<void> {
  const undoCleanUp = cleanUpOnExit();
  try {
    await runSizes(sizes);
  } finally {
    cleanUp();
    undoCleanUp();
  }
}

async function runSizes(sizes: readonly number[]): Promise<void> {
  process.stdout.write(
    `fleet bench: ${sizes.join(', ')} devices × ${WINDOWS_PER_DEVICE} windows; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs\n`,
  );
  process.stdout.write(`service node flags: ${NODE_FLAGS.join(' ') || 'none'}\n`);
  process.stdout.write(
    `loop max/p99: the service's event-loop delay during the run beyond its ${LOOP_RESOLUTION_MS} ms sampling interval (monitorEventLoopDelay via /metrics); ` +
      `every load run follows ${WARMUP_S} s of the same load, not counted\n`,
  );
  const emptyHeap = await emptyServiceHeap();
  for (const devices of sizes) {
    const dataDir = tempDir('tinyml-bench-fleet-');
    try {
      const populateMs = await populate(dataDir, devices);
      const service = await startService(dataDir);
      try {
        const first = await startupToFirstFleetMs(service);
        const completeMs = await startupToCompleteMs(service);
        const heap = await heapUsedBytes(service.url);
        process.stdout.write(
          `\n${devices} devices: populated in ${(populateMs / 1000).toFixed(1)} s; startup to the first fleet answer ${(first.ms / 1000).toFixed(2)} s ` +
            `(${first.complete ? 'complete' : 'partial, said so: complete=false'}; goal ≤ 2 s), to the whole fleet loaded ${(completeMs / 1000).toFixed(2)} s; ` +
            `heap used once loaded ${(heap / 2 ** 20).toFixed(0)} MiB, ${((heap - emptyHeap) / devices / 1024).toFixed(2)} KiB per device over an empty service's ${(emptyHeap / 2 ** 20).toFixed(0)} MiB (goal ≤ 2 KiB; no forced GC)\n`,
        );
        const poller = startPolling(service.url);
        // The dashboard alone, no load: the loop's longest task is then the service's own work (the fleet index's
        // steps, the dashboard's pages and overview, GC), not a batch of 50 connections' requests in one turn.
        await scrape(service.url);
        await loopTask(service);
        await new Promise((resolve) => setTimeout(resolve, DURATION_S * 1000));
        const idleLoop = await scrape(service.url);
        const idleTask = await loopTask(service);
        process.stdout.write(
          `dashboard alone for ${DURATION_S} s: longest loop task ${idleTask.maxMs.toFixed(1)} ms of main-thread CPU (${idleTask.over10} gaps > 10 ms; goal: none), ` +
            `loop delay max ${ms(idleLoop.get('nodejs_eventloop_lag_max_seconds'))} ms / p99 ${ms(idleLoop.get('nodejs_eventloop_lag_p99_seconds'))} ms\n`,
        );
        printLoopDetail('dashboard alone', idleTask);
        if (LOOP_GAPS_FILE !== undefined) writeFileSync(LOOP_GAPS_FILE, JSON.stringify(idleTask.long));
        const rows: Row[] = [];
        for (const endpoint of ENDPOINTS) {
          const sample = await getText(`${service.url}${endpoint.path(devices)}`);
          const bytes = Buffer.byteLength(sample?.text ?? '');
          const singleMs = await singleRequestMs(`${service.url}${endpoint.path(devices)}`);
          const baselines = await startBaselines(Math.max(12, bytes));
          let bare: Awaited<ReturnType<typeof loadWithCpu>>;
          let express: Awaited<ReturnType<typeof loadWithCpu>>;
          try {
            bare = await loadWithCpu(baselines.nodeUrl, baselines.child.pid, () => '/');
            express = await loadWithCpu(baselines.expressUrl, baselines.child.pid, () => '/');
          } finally {
            baselines.child.kill('SIGTERM');
          }
          const run = await loadWithCpu(
            service.url,
            service.pid,
            () => endpoint.path(devices),
            // after the warm-up: the event-loop histogram and the probe's longest task then cover the measured run only
            async () => {
              await scrape(service.url);
              await loopTask(service);
            },
          );
          const after = await scrape(service.url);
          const task = await loopTask(service);
          rows.push({
            endpoint,
            bytes,
            status: sample?.status ?? 0,
            singleMs,
            service: run.result,
            bare: bare.result,
            express: express.result,
            serviceCpuUs: run.cpuUs,
            bareCpuUs: bare.cpuUs,
            expressCpuUs: express.cpuUs,
            loopMaxMs: ms(after.get('nodejs_eventloop_lag_max_seconds')),
            loopP99Ms: ms(after.get('nodejs_eventloop_lag_p99_seconds')),
            taskMaxMs: task.maxMs,
            tasksOver10: task.over10,
          });
          process.stdout.write(`  ${endpoint.name}: done\n`);
          if (LOOP_DETAIL) printLoopDetail(endpoint.name, task);
        }
        const polls = await poller.stop();
        printTable(devices, rows);
        process.stdout.write(
          `background dashboard: ${polls.length} polls of ${POLL_PATHS.join(' + ') || 'nothing'}, p50 ${percentile(polls, 0.5).toFixed(0)} ms, max ${Math.max(...polls).toFixed(0)} ms\n`,
        );
      } finally {
        await service.stop();
      }
    } finally {
      removeTempDir(dataDir);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number);
  await runFleetLoadBench(sizes.length > 0 ? sizes : DEFAULT_SIZES);
}
