/**
 * The fleet at scale (issue 11): 10 000 and 100 000 registered devices with windows, the service in its own process,
 * autocannon at 50 connections on /livez, /api/health, a device footprint, the fleet totals (rows=false) and a page of
 * 100 rows sorted by power, while a dashboard's fleet view polls once a second in the background. Each figure stands
 * beside two baselines measured in the same run, each in its own process: bare node:http and a trivial Express
 * handler, serving a body of the same size. Also: the service's event-loop delay during each run (its
 * monitorEventLoopDelay histogram, read from /metrics, which resets it at every scrape), heap per device, and startup
 * to the first fleet answer.
 *
 * npx tsx bench/fleet-load.ts [devices…]          (default 10000 100000)
 * BENCH_DURATION_S=10  seconds per load run (default 10)
 * BENCH_FLEET_POLL=/api/fleet?sort=power&dir=desc&limit=100  what the background dashboard asks for once a second (the paged fleet view; the fleet view before issue 11 loaded
 *   /api/fleet; a paged fleet view asks /api/fleet?sort=…&limit=100; `none`: no dashboard)
 * BENCH_LOG_LEVEL=info  the service's --log-level (info: the access log is written, as by default)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

const DEFAULT_SIZES = [10_000, 100_000];
/** Concurrent keep-alive connections, as the issue measured. */
const CONNECTIONS = 50;
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
/** Windows per device: every footprint is computed from measured power. */
const WINDOWS_PER_DEVICE = 2;
/** Windows per append transaction while populating. */
const POPULATE_BATCH = 5_000;
/** Milliseconds between two polls of the background dashboard. */
const POLL_INTERVAL_MS = 1_000;
const POLL_PATH = process.env['BENCH_FLEET_POLL'] ?? '/api/fleet?sort=power&dir=desc&limit=100';
const LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'info';
/** Milliseconds: the resolution of the service's event-loop delay histogram (src/obs/prometheus.ts); each sample includes it. */
const LOOP_RESOLUTION_MS = 10;
/** Milliseconds between two tries while waiting for the first fleet answer. */
const STARTUP_POLL_MS = 10;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Milliseconds a single request of the bench itself (a sample, a scrape, a poll) may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 60_000;

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

const ENDPOINTS: Endpoint[] = [
  { name: '/livez', path: () => '/livez', goalP99Ms: 10 },
  { name: '/api/health', path: () => '/api/health', goalP99Ms: null },
  { name: 'device footprint (random id)', path: (devices) => `/api/devices/bench-${Math.floor(Math.random() * devices)}/footprint`, goalP99Ms: 20 },
  { name: 'fleet totals (rows=false)', path: () => '/api/fleet?rows=false', goalP99Ms: 20 },
  { name: 'page of 100 sorted by power', path: () => '/api/fleet?sort=power&dir=desc&limit=100', goalP99Ms: 50 },
];

function load(url: string, pathFor: () => string): Promise<LoadResult> {
  return loadGet(url, pathFor, CONNECTIONS, DURATION_S);
}

/** Devices and windows written through the store (not HTTP): one transaction for the devices, batches for the windows. */
async function populate(dataDir: string, devices: number): Promise<number> {
  const startMs = performance.now();
  const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
  // createDevice commits (and fsyncs) each insert on its own; one surrounding transaction makes 100 000 take seconds.
  const db = (store as unknown as { db: Database.Database }).db;
  db.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < devices; i += 1) {
    void store.createDevice({ id: `bench-${i}`, fleet: `fleet-${i % 10}`, spec: { ...SEED_DEFAULT_SPEC, system: i % 2 === 0 ? 'kws-typical' : 'ic-typical' } });
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

interface Service {
  child: ChildProcess;
  url: string;
  spawnedAtMs: number;
}

function startService(dataDir: string): Promise<Service> {
  const spawnedAtMs = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        'bin/tinyml-footprint.js',
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--data-dir',
        dataDir,
        '--no-serial-discovery',
        '--mqtt-port',
        '0',
        '--log-level',
        LOG_LEVEL,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TINYML_API_TOKEN: 'bench-token' } },
    );
    let stderr = '';
    let listening = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      if (listening) return; // the access log: read and dropped
      stderr += chunk.toString();
      const match = /listening on (http:\/\/[^\s"]+)/.exec(stderr);
      if (match) {
        listening = true;
        resolve({ child, url: match[1]!, spawnedAtMs });
      }
    });
    child.once('exit', (code) => reject(new Error(`service exited (${code}): ${stderr}`)));
  });
}

async function stopService(service: Service): Promise<void> {
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await exited;
}

/** Milliseconds from the spawn to the first 200 of the fleet totals. */
async function startupToFirstFleetMs(service: Service): Promise<number> {
  for (;;) {
    const response = await getText(`${service.url}/api/fleet?rows=false`);
    if (response?.status === 200) return performance.now() - service.spawnedAtMs;
    await new Promise((resolve) => setTimeout(resolve, STARTUP_POLL_MS));
  }
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

/** The dashboard's fleet view polling in the background: what it asks for, once a second; its latencies are kept. */
function startPolling(url: string): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = POLL_PATH !== 'none';
  const loop = (async () => {
    while (running) {
      const startMs = performance.now();
      const response = await getText(`${url}${POLL_PATH}`);
      latencies.push(response?.status === 200 ? performance.now() - startMs : Infinity);
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
  const child = spawn(process.execPath, [new URL('./fleet-load-baseline.mjs', import.meta.url).pathname, String(bytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  service: LoadResult;
  bare: LoadResult;
  express: LoadResult;
  loopMaxMs: string;
  loopP99Ms: string;
}

function printTable(devices: number, rows: readonly Row[]): void {
  const header = `${'endpoint'.padEnd(30)} ${'bytes'.padStart(8)} | ${'service'.padEnd(22)} p50 | ${'bare node:http'.padEnd(20)} | ${'trivial Express'.padEnd(20)} | ×Expr | goal p99  | loop max/p99 ms | non-2xx err t/o`;
  process.stdout.write(
    `\n${devices} devices, ${CONNECTIONS} connections, ${DURATION_S} s a run, dashboard polling ${POLL_PATH} every ${POLL_INTERVAL_MS} ms\n${header}\n`,
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
}

async function heapUsedBytes(url: string): Promise<number> {
  return (await scrape(url)).get('nodejs_heap_size_used_bytes') ?? NaN;
}

/** Heap used by a service with no device, as the reference for heap per device. */
async function emptyServiceHeap(): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-fleet-empty-'));
  const service = await startService(dataDir);
  try {
    await startupToFirstFleetMs(service);
    return await heapUsedBytes(service.url);
  } finally {
    await stopService(service);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runFleetLoadBench(sizes: readonly number[] = DEFAULT_SIZES): Promise<void> {
  process.stdout.write(
    `fleet bench: ${sizes.join(', ')} devices × ${WINDOWS_PER_DEVICE} windows; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs\n`,
  );
  process.stdout.write(
    `loop max/p99: the service's event-loop delay during the run beyond its ${LOOP_RESOLUTION_MS} ms sampling interval (monitorEventLoopDelay via /metrics)\n`,
  );
  const emptyHeap = await emptyServiceHeap();
  for (const devices of sizes) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-fleet-'));
    try {
      const populateMs = await populate(dataDir, devices);
      const service = await startService(dataDir);
      try {
        const startupMs = await startupToFirstFleetMs(service);
        const heap = await heapUsedBytes(service.url);
        process.stdout.write(
          `\n${devices} devices: populated in ${(populateMs / 1000).toFixed(1)} s; startup to the first fleet answer ${(startupMs / 1000).toFixed(2)} s (goal ≤ 2 s); ` +
            `heap used ${(heap / 2 ** 20).toFixed(0)} MiB, ${((heap - emptyHeap) / devices / 1024).toFixed(2)} KiB per device over an empty service's ${(emptyHeap / 2 ** 20).toFixed(0)} MiB (goal ≤ 2 KiB; no forced GC)\n`,
        );
        const poller = startPolling(service.url);
        const rows: Row[] = [];
        for (const endpoint of ENDPOINTS) {
          const sample = await getText(`${service.url}${endpoint.path(devices)}`);
          const bytes = Buffer.byteLength(sample?.text ?? '');
          const baselines = await startBaselines(Math.max(12, bytes));
          let bare: LoadResult;
          let express: LoadResult;
          try {
            bare = await load(baselines.nodeUrl, () => '/');
            express = await load(baselines.expressUrl, () => '/');
          } finally {
            baselines.child.kill('SIGTERM');
          }
          await scrape(service.url); // resets the event-loop histogram: the next scrape covers this run only
          const result = await load(service.url, () => endpoint.path(devices));
          const after = await scrape(service.url);
          rows.push({
            endpoint,
            bytes,
            status: sample?.status ?? 0,
            service: result,
            bare,
            express,
            loopMaxMs: ms(after.get('nodejs_eventloop_lag_max_seconds')),
            loopP99Ms: ms(after.get('nodejs_eventloop_lag_p99_seconds')),
          });
          process.stdout.write(`  ${endpoint.name}: done\n`);
        }
        const polls = await poller.stop();
        printTable(devices, rows);
        process.stdout.write(
          `background dashboard: ${polls.length} polls of ${POLL_PATH}, p50 ${percentile(polls, 0.5).toFixed(0)} ms, max ${Math.max(...polls).toFixed(0)} ms\n`,
        );
      } finally {
        await stopService(service);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv.slice(2).map(Number);
  await runFleetLoadBench(sizes.length > 0 ? sizes : DEFAULT_SIZES);
}
