/**
 * HTTP ingest benchmark: single-window `POST /api/devices/:id/windows` requests (each a new window, device-stamped,
 * stored with SQLite synchronous = FULL before the 201), against two baselines measured in the same run that parse the
 * same body and answer the same 201 body, storing nothing: a trivial Express 5 handler behind `express.json()`, and
 * bare `node:http` (the body read and `JSON.parse`d). Every server runs in a child process of its own; autocannon (this
 * process) is the client for all. The Express baseline is measured before and after the service (the machine may be
 * shared) and the ratios taken to their mean.
 *
 * Two figures per server: requests/s, and its own CPU time per request (user + system of its process, from /proc,
 * over the load run). On a shared machine throughput swings several-fold between runs; CPU per request does not, so
 * `CPU ×Express` (Express's µs per request / the service's) is the steadier form of the goal's ratio.
 *
 * Run alone: `npx tsx bench/http-ingest.ts`.
 * BENCH_DURATION_S=10  seconds of load per server (default 10)
 * BENCH_CPU_PROF=dir   the service runs with `node --cpu-prof` and writes its profile there at exit
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { SEED_DEFAULT_SPEC } from '../src/service/spec.js';
import { DATABASE_FILE } from '../src/store/data-dir.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { loadResult, type LoadResult } from './load.js';
import { startListeningChild } from './listening-child.js';
import { cpuSeconds } from './proc-cpu.js';
import { BENCH_CHECKOUT, startBenchServe } from './serve-child.js';

/** Registered devices the requests cycle through. */
const DEVICES = 1_000;
/** Concurrent keep-alive connections, as in the measurement. */
const CONNECTIONS = 50;
/** Seconds of load per measurement. */
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
/** Seconds of load before each measurement, not counted. */
const WARMUP_S = 1;
const CPU_PROFILE_DIR = process.env['BENCH_CPU_PROF'];
const TOKEN = 'bench-token';
/** The goal: ≥ 0.8 × the express.json() baseline. */
const GOAL_RATIO = 0.8;
/** Windows start 30 days ago, 10 s apart per device: well inside the window rules' clock bounds. */
const T0_MS = Date.now() - 30 * 86_400_000;
const RESPONSE_BODY = JSON.stringify({ inserted: 1, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });

/** Request i: device i mod DEVICES, seq i div DEVICES; so every request carries a new window. */
function windowBody(i: number): { deviceId: string; body: string } {
  const seq = Math.floor(i / DEVICES);
  const body = JSON.stringify({
    seq,
    startMs: T0_MS + seq * 10_000,
    durationS: 10,
    energyJ: 0.02,
    sampleCount: 1000,
    minPowerW: 0.001,
    maxPowerW: 0.004,
    inferenceCount: 5,
  });
  return { deviceId: `ingest-${i % DEVICES}`, body };
}

interface Measured extends LoadResult {
  /** The server process's CPU time per request answered (user + system), µs; NaN where /proc is missing. */
  cpuUsPerRequest: number;
}

/** The load, and the CPU the server process `pid` spent on it per request. */
async function measure(url: string, pid: number | undefined): Promise<Measured> {
  await load(url, WARMUP_S); // the JIT compiles the hot path; its CPU is not counted
  const cpuBefore = cpuSeconds(pid);
  const result = await load(url);
  const cpuS = cpuSeconds(pid) - cpuBefore;
  const answered = result.requestsPerS * DURATION_S;
  return { ...result, cpuUsPerRequest: (cpuS / Math.max(1, answered)) * 1e6 };
}

/** Requests sent so far, by every run: the service never sees a seq twice, its warm-up included. */
let sent = 0;

async function load(url: string, durationS: number = DURATION_S): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const { deviceId, body } = windowBody(sent++);
          return {
            ...request,
            path: `/api/devices/${deviceId}/windows`,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body,
          };
        },
      },
    ],
  });
  return loadResult(result);
}

const BASELINE_SCRIPT = `
import express from 'express';
const app = express();
app.use(express.json({ limit: '1mb' }));
const body = ${JSON.stringify(RESPONSE_BODY)};
app.post('/api/devices/:id/windows', (req, res) => {
  if (typeof req.body?.seq !== 'number') { res.status(400).end(); return; }
  res.status(201).type('application/json').send(body);
});
const server = app.listen(0, '127.0.0.1', () => process.stderr.write('listening on http://127.0.0.1:' + server.address().port + '\\n'));
`;

/** The same answer from bare node:http: the body read to its end and parsed, nothing else. */
const BARE_SCRIPT = `
import { createServer } from 'node:http';
const body = ${JSON.stringify(RESPONSE_BODY)};
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let parsed;
    try { parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { parsed = undefined; }
    if (typeof parsed?.seq !== 'number') { res.writeHead(400).end(); return; }
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stderr.write('listening on http://127.0.0.1:' + server.address().port + '\\n'));
`;

async function baselineLoad(script: string): Promise<Measured> {
  // in this checkout, whose node_modules the script's `import express` resolves from
  const baseline = await startListeningChild(['--input-type=module', '-e', script], { cwd: BENCH_CHECKOUT, env: { ...process.env } });
  try {
    return await measure(baseline.url, baseline.pid);
  } finally {
    await baseline.stop();
  }
}

function row(name: string, result: Measured): string {
  return `${name.padEnd(52)} ${result.requestsPerS.toFixed(0).padStart(7)} req/s   CPU ${result.cpuUsPerRequest.toFixed(0).padStart(4)} µs/req   p50 ${String(result.p50Ms).padStart(3)} ms   p99 ${String(result.p99Ms).padStart(3)} ms   non-2xx ${result.non2xx}   errors ${result.errors}`;
}

export async function runHttpIngestBench(): Promise<void> {
  process.stdout.write(
    `HTTP ingest bench: single-window POSTs over ${DEVICES} devices, ${CONNECTIONS} connections, ${DURATION_S} s per run (servers in child processes)\n`,
  );
  const bare = await baselineLoad(BARE_SCRIPT);
  const before = await baselineLoad(BASELINE_SCRIPT);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-ingest-'));
  try {
    const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
    for (let d = 0; d < DEVICES; d += 1) await store.createDevice({ id: `ingest-${d}`, spec: SEED_DEFAULT_SPEC });
    await store.close();
    const serve = await startBenchServe({
      dataDir,
      nodeFlags: CPU_PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR],
      token: TOKEN,
    });
    let ingest: Measured;
    let counters: { windowsInserted: number; commits: number };
    try {
      ingest = await measure(serve.url, serve.pid);
      const health = (await (await fetch(`${serve.url}/api/health`)).json()) as { ingest: { windowsInserted: number; commits: number } };
      counters = health.ingest;
    } finally {
      await serve.stop();
    }
    const after = await baselineLoad(BASELINE_SCRIPT);
    const ratio = ingest.requestsPerS / ((before.requestsPerS + after.requestsPerS) / 2);
    const cpuRatio = (before.cpuUsPerRequest + after.cpuUsPerRequest) / 2 / ingest.cpuUsPerRequest;
    const lines = [
      `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
      row('baseline: bare node:http + JSON.parse', bare),
      row('baseline (before): Express 5 + express.json()', before),
      row('serve: POST /api/devices/:id/windows, stored (FULL)', ingest),
      row('baseline (after): Express 5 + express.json()', after),
      `windows stored ${counters.windowsInserted} in ${counters.commits} commits (${(counters.windowsInserted / Math.max(1, counters.commits)).toFixed(1)} per commit)`,
      `CPU ×Express (Express's µs/req / the service's) ${cpuRatio.toFixed(2)}; ×bare ${(bare.cpuUsPerRequest / ingest.cpuUsPerRequest).toFixed(2)}`,
      `req/s ratio to the Express baselines' mean ${ratio.toFixed(2)} (×bare ${(ingest.requestsPerS / bare.requestsPerS).toFixed(2)}); goal ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO && ingest.non2xx === 0 && ingest.errors === 0 ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runHttpIngestBench();
}
