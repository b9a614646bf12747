import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATABASE_FILE } from '../src/store/data-dir.js';
import type { EnergyWindow } from '../src/domain/types.js';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { loadGet, type LoadResult } from './load.js';
import { benchFleetWindow } from './bench-fleet.js';
import { startBenchServe } from './serve-child.js';

/** Registered devices, as the issue asks. */
const DEVICES = 10_000;
/** Windows per device, so that every footprint is computed from measured power. */
const WINDOWS_PER_DEVICE = 5;
/** Seconds of load per measurement. */
const DURATION_S = 10;
/** Concurrent keep-alive connections: a busy dashboard plus API clients. */
const CONNECTIONS = 32;
const GOAL_REQUESTS_PER_S = 5_000;
const GOAL_P99_MS = 20;

function load(url: string, pathFor: () => string): Promise<LoadResult> {
  return loadGet(url, pathFor, CONNECTIONS, DURATION_S);
}

async function populate(dataDir: string): Promise<void> {
  const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < DEVICES; i += 1) {
    const id = `bench-${i}`;
    await store.createDevice({ id, spec: { ...SEED_DEFAULT_SPEC, system: i % 2 === 0 ? 'kws-typical' : 'ic-typical' } });
  }
  const batch: EnergyWindow[] = [];
  for (let i = 0; i < DEVICES; i += 1) {
    for (let seq = 0; seq < WINDOWS_PER_DEVICE; seq += 1) batch.push(benchFleetWindow(i, seq, t0));
    if (batch.length >= 5_000) await store.appendWindows(batch.splice(0));
  }
  await store.appendWindows(batch.splice(0));
  await store.close();
}

/** The ceiling of the HTTP stack on this machine: a bare node:http server answering a pre-serialised body of the same size. */
function startBaseline(body: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function row(name: string, result: LoadResult): string {
  return `${name.padEnd(44)} ${result.requestsPerS.toFixed(0).padStart(8)} req/s   p50 ${String(result.p50Ms).padStart(3)} ms   p99 ${String(result.p99Ms).padStart(3)} ms   non-2xx ${result.non2xx}   errors ${result.errors}`;
}

export async function runHttpBench(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-http-'));
  process.stdout.write(
    `HTTP bench: ${DEVICES} devices × ${WINDOWS_PER_DEVICE} windows, ${CONNECTIONS} connections, ${DURATION_S} s per run (service in a child process)\n`,
  );
  await populate(dataDir);
  const service = await startBenchServe({
    dataDir,
    nodeFlags: process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [],
  });
  const { url } = service;
  try {
    const sample = await (await fetch(`${url}/api/devices/bench-1/footprint`)).text();
    const baselineServer = await startBaseline(sample);
    const baselineUrl = `http://127.0.0.1:${(baselineServer.address() as AddressInfo).port}`;
    const baseline = await load(baselineUrl, () => '/');
    baselineServer.close();
    const footprint = await load(url, () => `/api/devices/bench-${Math.floor(Math.random() * DEVICES)}/footprint`);
    process.stdout.write(`${row(`baseline: bare node:http, same ${sample.length}-byte body`, baseline)}\n`);
    process.stdout.write(`${row('GET /api/devices/:id/footprint (random id)', footprint)}\n`);
    process.stdout.write(
      `ratio to baseline ${(footprint.requestsPerS / baseline.requestsPerS).toFixed(2)}; goal ≥ ${GOAL_REQUESTS_PER_S} req/s and p99 ≤ ${GOAL_P99_MS} ms: ` +
        `${footprint.requestsPerS >= GOAL_REQUESTS_PER_S && footprint.p99Ms <= GOAL_P99_MS && footprint.non2xx === 0 ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runHttpBench();
}
