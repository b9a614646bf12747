/**
 * The device footprint and /livez under load, as CPU time per request (issue 11): each server's own CPU (utime +
 * stime from /proc, so other processes on a shared machine do not count) over the requests it answered, beside a
 * trivial Express handler serving a body of the same size in the same run. Throughput and p99 are printed too, but on
 * a shared machine they swing between runs; CPU per request and its ratio to Express's are what compare.
 *
 * The service runs in its own process on a fleet written through the store (as bench/fleet-load.ts), with a
 * dashboard polling the sorted fleet page once a second in the background; the service's event-loop delay
 * (monitorEventLoopDelay via /metrics) is read for each run.
 *
 * npx tsx bench/footprint.ts [devices]           (default 10000)
 * BENCH_DURATION_S=5     seconds per load run
 * BENCH_WARMUP_S=2       seconds of the same load before each measured run, not counted (0: none)
 * BENCH_FLEET_POLL=none  no background dashboard (default: /api/fleet?sort=power&dir=desc&limit=100)
 * BENCH_IDS=distinct     every device its own measured power (default; `shared`: the 100 powers of bench/fleet-load.ts)
 * BENCH_SERVICES=/path/a,/path/b  checkouts whose bin/tinyml-footprint.js to compare in the same run (default: this one)
 * BENCH_PROFILE_DIR=/tmp/prof  write each service's CPU profile there (node --cpu-prof); BENCH_ONLY=random,one  run only these loads (random, one, livez)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import type { EnergyWindow } from '../src/domain/types.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { DATABASE_FILE } from '../src/store/data-dir.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { stopChild } from './listening-child.js';
import { cpuSeconds } from './proc-cpu.js';
import { startBenchServe, type BenchServe } from './serve-child.js';

const CONNECTIONS = 50;
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5);
/**
 * Seconds of unmeasured load before each measured run, for the baseline and the service alike. A fresh server's first
 * seconds cost about twice the CPU per request of its later ones (JIT, lazy set-up): measured cold, the first load of
 * a run (the random ids) was charged its warm-up, the later ones were not.
 */
const WARMUP_S = Number(process.env['BENCH_WARMUP_S'] ?? 2);
const POLL_PATH = process.env['BENCH_FLEET_POLL'] ?? '/api/fleet?sort=power&dir=desc&limit=100';
/** Milliseconds between two polls of the background dashboard. */
const POLL_INTERVAL_MS = 1_000;
const DISTINCT_POWERS = (process.env['BENCH_IDS'] ?? 'distinct') === 'distinct';
const WINDOWS_PER_DEVICE = 2;
/** Windows per append transaction while populating. */
const POPULATE_BATCH = 5_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** Milliseconds: the resolution of the service's event-loop delay histogram (src/obs/prometheus.ts). */
const LOOP_RESOLUTION_MS = 10;
const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'];
const ONLY = process.env['BENCH_ONLY'];
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Window `seq` of device i: every device its own power (so every footprint has its own power summary), or 100 powers. */
function window(deviceIndex: number, seq: number): EnergyWindow {
  const powerW = DISTINCT_POWERS ? 0.001 + deviceIndex * 1e-7 : 0.001 + (deviceIndex % 100) * 0.0005;
  return {
    deviceId: `bench-${deviceIndex}`,
    seq,
    startMs: T0 + seq * 10_000,
    durationS: 10,
    energyJ: powerW * 10,
    sampleCount: 1000,
    minPowerW: powerW / 2,
    maxPowerW: powerW * 3,
    inferenceCount: 5,
    source: 'bench',
  };
}

async function populate(dataDir: string, devices: number): Promise<void> {
  const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
  const db = (store as unknown as { db: Database.Database }).db;
  db.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < devices; i += 1) {
    void store.createDevice({
      id: `bench-${i}`,
      fleet: `fleet-${i % 10}`,
      deployedAt: '2026-06-01T00:00:00.000Z',
      spec: { ...SEED_DEFAULT_SPEC, system: i % 2 === 0 ? 'kws-typical' : 'ic-typical' },
    });
  }
  db.exec('COMMIT');
  const batch: EnergyWindow[] = [];
  for (let i = 0; i < devices; i += 1) {
    for (let seq = 0; seq < WINDOWS_PER_DEVICE; seq += 1) batch.push(window(i, seq));
    if (batch.length >= POPULATE_BATCH) await store.appendWindows(batch.splice(0));
  }
  if (batch.length > 0) await store.appendWindows(batch.splice(0));
  await store.close();
}

/** `checkout`'s service (its bin, in its directory); what it prints after listening is read and dropped (the access log). */
function startService(checkout: string, dataDir: string): Promise<BenchServe> {
  return startBenchServe({
    dataDir,
    checkout,
    nodeFlags: PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR],
    token: 'bench-token',
    keepLine: false,
  });
}

/** Share of one CPU below which a service counts as settled (its fleet index loaded, start-up work done). */
const SETTLED_CPU_SHARE = 0.05;
/** Milliseconds over which the settled share is measured, and the most waited for it. */
const SETTLE_SAMPLE_MS = 500;
const SETTLE_MAX_MS = 120_000;

/**
 * Waits for the first fleet answer, then until the service's CPU falls below SETTLED_CPU_SHARE: the fleet index loads
 * the fleet in steps after the listener is up, and a load run during that would charge the loading to the requests.
 */
async function settle(server: BenchServe): Promise<number> {
  const startMs = performance.now();
  while ((await fetch(`${server.url}/api/fleet?rows=false`).catch(() => null))?.status !== 200) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  while (performance.now() - startMs < SETTLE_MAX_MS) {
    const before = cpuSeconds(server.pid);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SAMPLE_MS));
    if ((cpuSeconds(server.pid) - before) / (SETTLE_SAMPLE_MS / 1000) < SETTLED_CPU_SHARE) break;
  }
  return performance.now() - startMs;
}

async function startBaseline(bytes: number): Promise<{ child: ChildProcess; expressUrl: string }> {
  const child = spawn(process.execPath, [path.join(HERE, 'fleet-load-baseline.mjs'), String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<{ express: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out) as { express: number });
    });
    child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
  });
  return { child, expressUrl: `http://127.0.0.1:${ports.express}` };
}

interface Run {
  requestsPerS: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  failed: number;
}

function load(url: string, durationS: number, pathFor: () => string): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathFor() }) }],
  });
}

/** One measured load run, after its warm-up; `afterWarmup` runs between the two (a histogram reset). */
async function run(url: string, pid: number | undefined, pathFor: () => string, afterWarmup?: () => Promise<unknown>): Promise<Run> {
  if (WARMUP_S > 0) await load(url, WARMUP_S, pathFor);
  await afterWarmup?.();
  const cpuBefore = cpuSeconds(pid);
  const result = await load(url, DURATION_S, pathFor);
  const cpu = cpuSeconds(pid) - cpuBefore;
  const answered = result.requests.total;
  return {
    requestsPerS: result.requests.average,
    p99Ms: result.latency.p99,
    cpuUsPerRequest: answered > 0 ? (cpu * 1e6) / answered : NaN,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function loopDelay(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): string => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    return line === undefined ? '?' : Math.max(0, Number(line.slice(name.length + 1)) * 1000 - LOOP_RESOLUTION_MS).toFixed(0);
  };
  return `${read('nodejs_eventloop_lag_max_seconds')} / ${read('nodejs_eventloop_lag_p99_seconds')}`;
}

function startPolling(url: string): () => Promise<void> {
  let running = POLL_PATH !== 'none';
  const loop = (async () => {
    while (running) {
      const startMs = performance.now();
      await fetch(`${url}${POLL_PATH}`)
        .then((response) => response.text())
        .catch(() => undefined);
      const waitMs = POLL_INTERVAL_MS - (performance.now() - startMs);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

const row = (name: string, result: Run, express: Run | null, loop = ''): string =>
  `${name.padEnd(44)} ${result.requestsPerS.toFixed(0).padStart(7)} /s  p99 ${String(result.p99Ms).padStart(4)} ms  ${result.cpuUsPerRequest.toFixed(0).padStart(5)} µs CPU/req` +
  `${express === null ? '' : `  ×Express ${(express.cpuUsPerRequest / result.cpuUsPerRequest).toFixed(2)}`}${loop === '' ? '' : `  loop max/p99 ${loop} ms`}` +
  `${result.failed > 0 ? `  FAILED ${result.failed}` : ''}\n`;

export async function runFootprintBench(devices: number, checkouts: readonly string[]): Promise<void> {
  process.stdout.write(
    `footprint bench: ${devices} devices (${DISTINCT_POWERS ? 'each its own power' : '100 powers'}), ${CONNECTIONS} connections, ${DURATION_S} s a run after ${WARMUP_S} s of warm-up, ` +
      `dashboard ${POLL_PATH}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs\n` +
      `×Express: the trivial Express handler's CPU per request over the server's (≥ 1: cheaper); loop: event-loop delay beyond its ${LOOP_RESOLUTION_MS} ms sampling\n`,
  );
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-footprint-'));
  try {
    await populate(dataDir, devices);
    const randomPath = (): string => `/api/devices/bench-${Math.floor(Math.random() * devices)}/footprint`;
    for (const checkout of checkouts) {
      const service = await startService(checkout, dataDir);
      try {
        const settledMs = await settle(service);
        const sample = await (await fetch(`${service.url}${randomPath()}`)).text();
        const bytes = Buffer.byteLength(sample);
        const baseline = await startBaseline(bytes);
        let express: Run;
        try {
          express = await run(baseline.expressUrl, baseline.child.pid, () => '/');
        } finally {
          await stopChild(baseline.child);
        }
        process.stdout.write(
          `\n${checkout} (body ${bytes} bytes; settled ${(settledMs / 1000).toFixed(1)} s after listening)\n${row('trivial Express, same body', express, null)}`,
        );
        const stopPolling = startPolling(service.url);
        try {
          for (const [key, name, pathFor] of [
            ['random', 'footprint, random id', randomPath],
            ['one', 'footprint, one id (cached)', () => '/api/devices/bench-1/footprint'],
            ['livez', '/livez', () => '/livez'],
          ] as const) {
            if (ONLY !== undefined && !ONLY.split(',').includes(key)) continue;
            // reading the loop delay resets its histogram: the next read covers this run only
            const result = await run(service.url, service.pid, pathFor, () => loopDelay(service.url));
            process.stdout.write(row(name, result, express, await loopDelay(service.url)));
          }
        } finally {
          await stopPolling();
        }
      } finally {
        await service.stop();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const devices = Number(process.argv[2] ?? 10_000);
  const checkouts = (process.env['BENCH_SERVICES'] ?? path.join(HERE, '..')).split(',');
  await runFootprintBench(devices, checkouts);
}
