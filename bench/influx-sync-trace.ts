/**
 * What the fleet sync asks influxd during bench/influx.ts's HTTP pass, and what each statement costs it. The same load
 * as that path (1 000 devices registered, then rounds in which every device POSTs its next 10 windows, 32 at once, raw
 * keep-alive connections; `serve --store influx` from dist/ in a child process), but serve talks to influxd through a
 * recording proxy in this process: every `/query` request is logged with its statements (kind, ids, `time >=`), its
 * wall time and influxd's CPU over it (/proc; writes run alongside, so this is an upper bound), and every `/write`
 * counted. After the pass, each recorded query request is replayed alone against the same influxd (nothing else
 * running; the database then holds every window, so a replay reads at least the points the original read),
 * `REPLAYS` times, and influxd's CPU per replay is the least of them.
 * Run alone: `npx tsx bench/influx-sync-trace.ts [devices] [windows per device]` (needs `influxd`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd } from '../test/helpers/influxd.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { cpuMicros, findPid } from './proc-cpu.js';
import { RawConnection, rawRequest } from './raw-http-client.js';
import { ensureBuilt, NPM_START_NODE_FLAGS, startBenchServe, type BenchServe } from './serve-child.js';

const DEVICES = Number(process.argv[2] ?? 1_000);
const WINDOWS_PER_DEVICE = Number(process.argv[3] ?? 50);
/** As bench/influx.ts: windows per POST, devices posting at once. */
const POST_WINDOWS = 10;
const HTTP_CONCURRENCY = 32;
const TOKEN = 'bench-token';
const T0_MS = Date.parse('2026-11-01T00:00:00Z');
const WINDOW_S = 10;
/** Replays of each recorded query request; the least CPU of them is reported (the least disturbed). */
const REPLAYS = 3;

interface Traced {
  atMs: number;
  wallMs: number;
  influxdCpuUs: number;
  body: string;
  statements: string[];
  replayCpuUs?: number;
}

function lastQueryMs(traced: readonly Traced[]): number {
  const last = traced[traced.length - 1];
  return last === undefined ? 0 : last.atMs + last.wallMs + proxyStartedMs;
}
let proxyStartedMs = 0;

function kindOf(statement: string): string {
  if (statement.includes('window_change')) return 'markers';
  if (statement.includes('device_registry')) return 'registry';
  if (statement.includes('distinct(')) return 'distinct';
  if (statement.includes('sum("energy_j")')) return 'aggregate';
  if (/^\s*(CREATE|SHOW|ALTER)/i.test(statement)) return 'setup';
  return 'other';
}

function describe(statement: string): string {
  const ids = (statement.match(/"device" = '/g) ?? []).length;
  const from = /time >= (\d+)/.exec(statement)?.[1];
  const fromText = from === undefined ? '' : from === '0' ? ' from 0' : ` from ${new Date(Number(BigInt(from) / 1_000_000n)).toISOString().slice(11, 19)}`;
  return `${kindOf(statement)}${ids > 0 ? ` ${ids} ids` : ''}${fromText}`;
}

function queryOf(method: string, url: string, body: string): string {
  const fromUrl = new URL(url, 'http://x').searchParams.get('q');
  if (fromUrl !== null) return fromUrl;
  return method === 'POST' ? (new URLSearchParams(body).get('q') ?? '') : '';
}

/** A proxy in front of influxd that records every /query request with influxd's CPU over it. */
function startProxy(target: URL, influxd: number | undefined, traced: Traced[], writes: { count: number; wallMs: number }): Promise<http.Server> {
  const started = performance.now();
  proxyStartedMs = started;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const t0 = performance.now();
      const cpu0 = cpuMicros(influxd);
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const wallMs = performance.now() - t0;
            const isQuery = (request.url ?? '').startsWith('/query');
            if (isQuery) {
              const text = body.toString();
              const q = queryOf(request.method ?? 'GET', request.url ?? '', text);
              traced.push({
                atMs: t0 - started,
                wallMs,
                influxdCpuUs: cpuMicros(influxd) - cpu0,
                body: request.method === 'POST' ? text : '',
                statements: q.split(';').filter((s) => s.trim().length > 0),
              });
            } else if ((request.url ?? '').startsWith('/write')) {
              writes.count += 1;
              writes.wallMs += wallMs;
            }
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(Buffer.concat(parts));
          });
        },
      );
      upstream.on('error', (error) => {
        response.writeHead(502);
        response.end(String(error));
      });
      upstream.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function replay(influxUrl: string, influxd: number | undefined, entry: Traced, database: string): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let n = 0; n < REPLAYS; n += 1) {
    const cpu0 = cpuMicros(influxd);
    const form = new URLSearchParams({ q: entry.statements.join(';'), db: database, epoch: 'ms' });
    const answer = await fetch(`${influxUrl}/query`, { method: 'POST', body: form });
    await answer.text();
    least = Math.min(least, cpuMicros(influxd) - cpu0);
  }
  return least;
}

async function main(): Promise<void> {
  ensureBuilt();
  const influxd = await startInfluxd();
  const influxdPid = findPid('influxd', influxd.dir);
  const traced: Traced[] = [];
  const writes = { count: 0, wallMs: 0 };
  const proxy = await startProxy(new URL(influxd.url), influxdPid, traced, writes);
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const database = 'bench_trace';
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-trace-'));
  const connections: RawConnection[] = [];
  let serve: BenchServe | undefined;
  try {
    // as bench/influx.ts's HTTP path runs it: `npm start`'s node flags, the bin, stdout read with stderr
    serve = await startBenchServe({
      dataDir,
      nodeFlags: NPM_START_NODE_FLAGS,
      args: ['--store', 'influx', '--influx-url', proxyUrl, '--influx-database', database],
      token: TOKEN,
      stdout: 'pipe',
    });
    const base = new URL(serve.url);
    const ids = Array.from({ length: DEVICES }, (_, d) => `bench-${d}`);
    const registered = await fetch(new URL('/api/devices', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(ids.map((id) => ({ id }))),
    });
    if (registered.status !== 201) throw new Error(`registration answered ${registered.status}`);
    const requests: Buffer[] = [];
    for (let from = 0; from < WINDOWS_PER_DEVICE; from += POST_WINDOWS) {
      for (const [d, id] of ids.entries()) {
        const powerW = 0.001 + (d % 100) * 0.0005;
        const windows = [];
        for (let seq = from; seq < Math.min(WINDOWS_PER_DEVICE, from + POST_WINDOWS); seq += 1) {
          windows.push({
            seq,
            startMs: T0_MS + seq * WINDOW_S * 1000,
            durationS: WINDOW_S,
            energyJ: powerW * WINDOW_S,
            sampleCount: 1000,
            minPowerW: powerW / 2,
            maxPowerW: powerW * 3,
            inferenceCount: 5,
          });
        }
        requests.push(rawRequest(base, `/api/devices/${id}/windows`, JSON.stringify({ windows }), TOKEN));
      }
    }
    for (let slot = 0; slot < HTTP_CONCURRENCY; slot += 1) connections.push(new RawConnection(base));
    // The index re-reads every newly registered device (change-driven); the pass starts once those reads are answered.
    await waitFor(
      'the registration reads',
      () => traced.filter((t) => t.statements.some((s) => kindOf(s) === 'aggregate')).length > 0 && performance.now() - lastQueryMs(traced) > 500,
      { intervalMs: 50, timeoutMs: 60_000 },
    );
    const before = traced.length;
    const writesBefore = { ...writes };
    const cpuBefore = cpuMicros(influxdPid);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      connections.map(async (connection) => {
        while (next < requests.length) {
          const answer = await connection.send(requests[next++]!);
          if (answer.status !== 201) throw new Error(`POST answered ${answer.status}: ${answer.text}`);
        }
      }),
    );
    const total = DEVICES * WINDOWS_PER_DEVICE;
    await waitFor(
      'every window written',
      async () => {
        const health = (await (await fetch(new URL('/api/health', base))).json()) as {
          sources: { kind: string; name: string; counters: Record<string, number> }[];
        };
        const counters = health.sources.find((s) => s.kind === 'store' && s.name.startsWith('influx:'))?.counters;
        return (counters?.windowsWritten ?? 0) >= total;
      },
      { intervalMs: 100, timeoutMs: 300_000 },
    );
    const endMs = performance.now();
    const seconds = (endMs - t0) / 1000;
    const influxdCpuUs = cpuMicros(influxdPid) - cpuBefore;
    const passEnd = traced.length;
    // serve stops before the replays, so that its syncs do not run alongside them.
    await serve.stop();
    const during = traced.slice(before, passEnd);
    process.stdout.write(
      `${DEVICES} devices × ${WINDOWS_PER_DEVICE} windows through serve (HTTP): ${(total / seconds).toFixed(0)} windows/s, ${seconds.toFixed(2)} s; ` +
        `influxd ${(influxdCpuUs / total).toFixed(1)} µs per window; ${writes.count - writesBefore.count} writes (${(writes.wallMs - writesBefore.wallMs).toFixed(0)} ms wall), ` +
        `${during.length} query requests during the pass\n`,
    );
    for (const entry of during) entry.replayCpuUs = await replay(influxd.url, influxdPid, entry, database);
    let sumLive = 0;
    let sumReplay = 0;
    for (const [n, entry] of traced.entries()) {
      const timed = n < before ? 'before' : n < passEnd ? 'pass' : 'after';
      const kinds = new Map<string, number>();
      for (const statement of entry.statements) {
        const key = describe(statement);
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
      }
      const shape = [...kinds].map(([key, n]) => `${n} × ${key}`).join(', ');
      if (timed === 'pass') {
        sumLive += entry.influxdCpuUs;
        sumReplay += entry.replayCpuUs ?? 0;
      }
      process.stdout.write(
        `  [${timed}] t=${(entry.atMs / 1000).toFixed(2)} s wall ${entry.wallMs.toFixed(0)} ms, influxd CPU ${(entry.influxdCpuUs / 1000).toFixed(0)} ms live` +
          `${entry.replayCpuUs === undefined ? '' : `, ${(entry.replayCpuUs / 1000).toFixed(0)} ms replayed alone`}: ${shape}\n`,
      );
    }
    process.stdout.write(
      `queries during the pass: influxd CPU ${(sumLive / 1000).toFixed(0)} ms live (writes alongside), ${(sumReplay / 1000).toFixed(0)} ms replayed alone, of ${(influxdCpuUs / 1000).toFixed(0)} ms\n`,
    );
  } finally {
    for (const connection of connections) connection.close();
    await serve?.stop();
    proxy.close();
    await influxd.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
