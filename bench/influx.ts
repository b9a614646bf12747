/**
 * Windows/s into InfluxDB, four paths into the same influxd in the same run (issue 12: through the service ≥ 0.8× the
 * bare client):
 * - bare: the `influx` client writing the points (prebuilt, outside the timer), OUTBOX_BATCH_WINDOWS per request, one
 *   request in flight;
 * - store: the service's InfluxDB store (InfluxWindowStore.writeWindows: point building, line protocol, change
 *   markers) in this process, the same batches;
 * - http: the whole service (HTTP POST → SQLite commit → outbox writer → InfluxDB), `serve --store influx` in a child
 *   process of its own, posted to as a fleet posts: round after round, every device sends its next
 *   `BENCH_INFLUX_POST_WINDOWS` windows (default 10: a device that buffers 100 s), HTTP_CONCURRENCY devices at once,
 *   from keep-alive connections of this process; the requests (JSON bodies, and for the default raw client their
 *   request lines and headers too) are built before the timer, as the bare path's points are;
 * - mqtt: the deployment of issue 12, a fleet behind a broker: `simulate fleet` publishes the same number of windows
 *   QoS 1 from one connection per device to a real Mosquitto, and `serve --store influx --mqtt-url` reads them
 *   (PUBACK after the local commit) and its outbox writer copies them to InfluxDB. The simulator's windows carry its
 *   own values (same fields and schema, so the same line protocol per point).
 * The service runs as `npm start` runs it: the built JavaScript (dist/, built first when stale) under
 * `node --max-semi-space-size=32`. Each pass writes into a fresh database; a point count after each checks that every
 * window arrived once. Besides windows/s (wall clock, which other processes on a shared machine disturb), each path
 * reports CPU per window (from /proc, load-independent): the writer's (this process, or serve), influxd's, and on the
 * service paths the load generator's (this process's HTTP client; the simulator and Mosquitto), and what influxd
 * spent answering queries and writes by its own counters (/debug/vars): on the service paths the queries are the fleet
 * sync's, which re-reads every device written since its last pass (docs/fleet-truth.md).
 * Run alone: `npx tsx bench/influx.ts` (needs `influxd`: Debian's influxdb, and `mosquitto`). `BENCH_INFLUX_PASSES`
 * (default 3), `BENCH_INFLUX_PATHS` (default `bare,store,http,mqtt`), `BENCH_INFLUX_POST_WINDOWS`, `BENCH_INFLUX_HTTP_CLIENT` (raw, node:http, fetch);
 * `BENCH_CPU_PROF_DIR=<dir>` runs the serve processes under `node --cpu-prof` into that directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InfluxDB, type IPoint } from 'influx';
import type { EnergyWindow } from '../src/domain/types.js';
import { WINDOW_MEASUREMENT, WINDOW_SCHEMA, windowPoint } from '../src/store/influx/influx-points.js';
import { InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { OUTBOX_BATCH_WINDOWS } from '../src/store/outbox/outbox-writer.js';
import type { StoredWindow } from '../src/store/window-store.js';
import { startCli } from '../test/helpers/cli.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { startMosquitto } from '../test/ingest/mqtt/mosquitto.js';
import { storedWindowsOrZero } from '../test/ingest/mqtt/processes.js';
import { RawConnection, rawRequest } from './raw-http-client.js';
import { cpuMicros, cpuTimes, findPid, ownCpuMicros } from './proc-cpu.js';
import { ensureBuilt, NPM_START_NODE_FLAGS, startBenchServe, type BenchServe } from './serve-child.js';

/** Devices, as an MQTT micro-batch interleaves them. */
const DEVICES = 1_000;
/** Windows per device: 50 000 windows per pass, a few seconds each at InfluxDB 1.6's rate on this machine. */
const WINDOWS_PER_DEVICE = 50;
/** Points per write request, every path: what the outbox writer sends InfluxDB in one request. */
const BATCH = OUTBOX_BATCH_WINDOWS;
/** Best of 3 passes per path, alternating: the least disturbed by the other processes on a shared machine. */
const PASSES = Number(process.env.BENCH_INFLUX_PASSES ?? 3);
const PATHS = ['bare', 'store', 'http', 'mqtt'] as const;
type PathName = (typeof PATHS)[number];
const SELECTED: ReadonlySet<PathName> = new Set(
  (process.env.BENCH_INFLUX_PATHS ?? PATHS.join(',')).split(',').filter((name): name is PathName => (PATHS as readonly string[]).includes(name)),
);
const T0_MS = Date.parse('2026-11-01T00:00:00Z');
const WINDOW_S = 10;

function rows(): StoredWindow[] {
  const out: StoredWindow[] = [];
  for (let seq = 0; seq < WINDOWS_PER_DEVICE; seq += 1) {
    for (let d = 0; d < DEVICES; d += 1) {
      const powerW = 0.001 + (d % 100) * 0.0005;
      const window: EnergyWindow = {
        deviceId: `bench-${d}`,
        seq,
        startMs: T0_MS + seq * WINDOW_S * 1000,
        durationS: WINDOW_S,
        energyJ: powerW * WINDOW_S,
        sampleCount: 1000,
        minPowerW: powerW / 2,
        maxPowerW: powerW * 3,
        inferenceCount: 5,
        source: 'http', // what the service path stores: the same points on every path
        startStampedBy: 'device',
      };
      out.push({ ...window, seqUse: 0 });
    }
  }
  return out;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface Pass {
  seconds: number;
  windows: number;
  /** Service paths: when every window was acknowledged (s after the pass started); the rest is the outbox catching up. */
  ackedS?: number;
  /** HTTP path: POST requests sent. */
  posts?: number;
  /** Service paths: write requests of windows the outbox writer sent InfluxDB (its batchesWritten). */
  batches?: number;
  /** CPU of the writing process during the pass (µs): this one for the in-process paths, the serve process for the service. */
  writerCpuUs: number;
  /** HTTP path: of writerCpuUs, the serve process's system time (µs): its syscalls, loopback TCP's work among them. */
  writerSystemCpuUs?: number;
  /** CPU of influxd during the pass (µs). */
  influxdCpuUs: number;
  /** Service paths: CPU of the load generator (µs): this process's HTTP client, or the simulator. */
  clientCpuUs?: number;
  /** MQTT path: CPU of Mosquitto (µs). */
  brokerCpuUs?: number;
  /** influxd's own HTTP counters over the pass (its /debug/vars): what it spent answering queries and writes. */
  influxdHttp?: InfluxdHttp;
}

/**
 * influxd's HTTP counters (`GET /debug/vars`, `httpd` → values): requests and their summed handling time (ns, wall
 * time inside influxd, so concurrent requests add up). On the service paths the queries are the fleet sync's reads (the
 * change markers, the re-read of every changed device) and the registry sync's: this bench polls serve, not influxd.
 */
interface InfluxdHttp {
  queryReq: number;
  queryReqDurationNs: number;
  writeReq: number;
  writeReqDurationNs: number;
}

async function influxdHttp(url: string): Promise<InfluxdHttp> {
  const vars = (await (await fetch(`${url}/debug/vars`)).json()) as Record<string, { name?: string; values?: Partial<InfluxdHttp> }>;
  const httpd = Object.values(vars).find((entry) => entry.name === 'httpd')?.values ?? {};
  return {
    queryReq: httpd.queryReq ?? 0,
    queryReqDurationNs: httpd.queryReqDurationNs ?? 0,
    writeReq: httpd.writeReq ?? 0,
    writeReqDurationNs: httpd.writeReqDurationNs ?? 0,
  };
}

/** influxd's HTTP counters from `before` to now. */
async function influxdHttpSince(url: string, before: InfluxdHttp): Promise<InfluxdHttp> {
  const after = await influxdHttp(url);
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key as keyof InfluxdHttp]])) as unknown as InfluxdHttp;
}

/** `run`, with influxd's HTTP counters over it added to its pass (the in-process paths: the run is the timed span). */
async function withInfluxdHttp(url: string, run: () => Promise<Pass>): Promise<Pass> {
  const before = await influxdHttp(url);
  const pass = await run();
  return { ...pass, influxdHttp: await influxdHttpSince(url, before) };
}

/** influxd's queries and writes over a pass, for the report. */
function influxdWork(pass: Pass): string {
  const work = pass.influxdHttp;
  if (work === undefined) return '';
  return (
    `influxd answered ${work.queryReq} query requests in ${(work.queryReqDurationNs / 1e9).toFixed(2)} s and ${work.writeReq} writes in ` +
    `${(work.writeReqDurationNs / 1e9).toFixed(2)} s (summed handling time)`
  );
}

function clientFor(url: string, database: string): InfluxDB {
  const { hostname, port } = new URL(url);
  // A schema copy of its own: the client writes the database into the object it is given.
  return new InfluxDB({ hosts: [{ host: hostname, port: Number(port) }], database, schema: [{ ...WINDOW_SCHEMA, database }] });
}

async function countPoints(url: string, database: string): Promise<number> {
  const rows = await clientFor(url, database).query<{ count: number }>(`SELECT count("energy_j") AS count FROM "${WINDOW_MEASUREMENT}"`);
  return rows[0]?.count ?? 0;
}

/** CPU (µs) of each process over `run` (NaN for one that is gone). */
async function withCpu<T>(pids: Record<string, () => number>, run: () => Promise<T>): Promise<{ result: T; cpuUs: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, read]) => [name, read()]));
  const result = await run();
  return { result, cpuUs: Object.fromEntries(Object.entries(pids).map(([name, read]) => [name, read() - (before[name] ?? 0)])) };
}

async function seconds(run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function bareClient(url: string, database: string, points: readonly IPoint[][], influxd: number | undefined): Promise<Pass> {
  const client = clientFor(url, database);
  await client.createDatabase(database);
  const windows = points.reduce((n, batch) => n + batch.length, 0);
  const { result, cpuUs } = await withCpu({ writer: ownCpuMicros, influxd: () => cpuMicros(influxd) }, () =>
    seconds(async () => {
      for (const batch of points) await client.writePoints(batch, { precision: 'n' });
    }),
  );
  return { seconds: result, windows, writerCpuUs: cpuUs.writer!, influxdCpuUs: cpuUs.influxd! };
}

async function throughStore(url: string, database: string, windows: readonly StoredWindow[][], influxd: number | undefined): Promise<Pass> {
  const store = new InfluxWindowStore({ url, database });
  await store.aggregates(['warm-up']); // creates the database, as the service does at its first write
  try {
    const { result, cpuUs } = await withCpu({ writer: ownCpuMicros, influxd: () => cpuMicros(influxd) }, () =>
      seconds(async () => {
        for (const batch of windows) await store.writeWindows(batch);
      }),
    );
    return { seconds: result, windows: windows.reduce((n, batch) => n + batch.length, 0), writerCpuUs: cpuUs.writer!, influxdCpuUs: cpuUs.influxd! };
  } finally {
    await store.close();
  }
}

/** Windows per POST: a device that buffers `n` windows of 10 s and sends them together (1 is a device posting each window). */
const POST_WINDOWS = Number(process.env.BENCH_INFLUX_POST_WINDOWS ?? 10);
/** Devices posting at once (keep-alive connections): a fleet's devices report independently. */
const HTTP_CONCURRENCY = 32;
/**
 * How often the service paths poll their progress (ms): short next to a pass (≥ 10 s here), light on serve (a health
 * read) and on the machine (the MQTT path counts the stored rows through a read-only SQLite connection, a scan).
 */
const POLL_MS = 100;
/** The API token the bench gives the serve process. */
const TOKEN = 'bench-token';
/** MQTT path: the share of the windows stored locally at which its clock starts (the simulator's start and 1 000 connects are before). */
const MQTT_FROM_SHARE = 0.1;

/**
 * `serve --store influx` in a child process as `npm start` runs it (its node flags, the bin), stdout read with stderr;
 * graceful stop (SIGTERM), so that a --cpu-prof profile is written.
 */
function startServeChild(dataDir: string, influxUrl: string, database: string, extra: readonly string[] = []): Promise<BenchServe> {
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  return startBenchServe({
    dataDir,
    nodeFlags: [...NPM_START_NODE_FLAGS, ...(profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`])],
    args: ['--store', 'influx', '--influx-url', influxUrl, '--influx-database', database, ...extra],
    token: TOKEN,
    stdout: 'pipe',
  });
}

/** One POST body per device per round: round r carries windows [r·POST_WINDOWS, (r+1)·POST_WINDOWS) of every device. */
function fleetPosts(windows: readonly StoredWindow[]): { id: string; body: string }[] {
  const byDevice = new Map<string, StoredWindow[]>();
  for (const window of windows) {
    const list = byDevice.get(window.deviceId) ?? [];
    list.push(window);
    byDevice.set(window.deviceId, list);
  }
  const posts: { id: string; body: string }[] = [];
  for (let from = 0; from < WINDOWS_PER_DEVICE; from += POST_WINDOWS) {
    for (const [id, list] of byDevice) {
      const items = list.slice(from, from + POST_WINDOWS).map((w) => ({
        seq: w.seq,
        startMs: w.startMs,
        durationS: w.durationS,
        energyJ: w.energyJ,
        sampleCount: w.sampleCount,
        minPowerW: w.minPowerW,
        maxPowerW: w.maxPowerW,
        inferenceCount: w.inferenceCount,
      }));
      posts.push({ id, body: JSON.stringify({ windows: items }) });
    }
  }
  return posts;
}

/**
 * The HTTP path's client. `raw` (default): one keep-alive HTTP/1.1 connection per concurrent device on a plain socket,
 * each request's bytes (request line, headers, JSON body) built before the timer as the bare path's points are, and
 * each answer read in full (status line, headers, its Content-Length body) and its status checked: what a device's
 * minimal HTTP client does, and the cheapest honest client here: 9–15 µs of client CPU per window at 10 windows a
 * POST. `node:http` (BENCH_INFLUX_HTTP_CLIENT=node:http, this bench's client before: its agent, request and response
 * objects cost 26 µs per window on a quiet machine, 35–51 µs at load 3–6), or undici's `fetch`
 * (BENCH_INFLUX_HTTP_CLIENT=fetch: 110 µs per window against node:http 30 µs, one run at load 7). Every client posts
 * the same bodies to the same paths, in the same order, with the same token and content type.
 */
const HTTP_CLIENT: 'raw' | 'node:http' | 'fetch' =
  process.env.BENCH_INFLUX_HTTP_CLIENT === 'fetch' ? 'fetch' : process.env.BENCH_INFLUX_HTTP_CLIENT === 'node:http' ? 'node:http' : 'raw';

/** A POST with the bench's token: its status and body. */
async function post(agent: http.Agent, url: URL, pathname: string, body: string): Promise<{ status: number; text: string }> {
  if (HTTP_CLIENT === 'fetch') {
    const response = await fetch(new URL(pathname, url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, text: await response.text() };
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Through the service over HTTP: `serve --store influx` in a child process, every device registered (default spec),
 * then the fleet's posts, HTTP_CONCURRENCY at a time; each 201 follows the local SQLite commit, and the outbox writer
 * copies the windows to InfluxDB behind it. The pass lasts from the first POST until the writer wrote every window.
 */
async function throughHttp(url: string, database: string, windows: readonly StoredWindow[], influxd: number | undefined): Promise<Pass> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-influx-'));
  const service = await startServeChild(dataDir, url, database);
  const base = new URL(service.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
  const connections: RawConnection[] = [];
  try {
    const ids = [...new Set(windows.map((w) => w.deviceId))];
    const registered = await post(agent, base, '/api/devices', JSON.stringify(ids.map((id) => ({ id }))));
    if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${registered.text}`);
    const posts = fleetPosts(windows);
    // Built before the timer, as the bare path's points are: the raw client's request bytes.
    const requests = HTTP_CLIENT === 'raw' ? posts.map(({ id, body }) => rawRequest(base, `/api/devices/${id}/windows`, body, TOKEN)) : [];
    if (HTTP_CLIENT === 'raw') for (let slot = 0; slot < HTTP_CONCURRENCY; slot += 1) connections.push(new RawConnection(base));
    let ackedS = 0;
    const influxdBefore = await influxdHttp(url);
    const { result, cpuUs } = await withCpu(
      {
        writer: () => cpuMicros(service.pid),
        writerSystem: () => cpuTimes(service.pid).systemS * 1e6,
        influxd: () => cpuMicros(influxd),
        client: ownCpuMicros,
      },
      () =>
        seconds(async () => {
          const started = process.hrtime.bigint();
          let next = 0;
          const device = async (_: unknown, slot: number): Promise<void> => {
            const connection = connections[slot];
            while (next < posts.length) {
              const index = next++;
              const { id, body } = posts[index] as { id: string; body: string };
              const answer =
                connection === undefined ? await post(agent, base, `/api/devices/${id}/windows`, body) : await connection.send(requests[index] as Buffer);
              if (answer.status !== 201) throw new Error(`POST windows of ${id} answered ${answer.status}: ${answer.text}`);
            }
          };
          await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, device));
          ackedS = Number(process.hrtime.bigint() - started) / 1e9;
          await writtenAll(service.url, windows.length);
        }),
    );
    const influxdCounters = await influxdHttpSince(url, influxdBefore);
    const outbox = await outboxCounters(service.url);
    return {
      seconds: result,
      windows: windows.length,
      ackedS,
      influxdHttp: influxdCounters,
      posts: posts.length,
      batches: outbox?.batchesWritten,
      writerCpuUs: cpuUs.writer!,
      influxdCpuUs: cpuUs.influxd!,
      writerSystemCpuUs: cpuUs.writerSystem!,
      clientCpuUs: cpuUs.client!,
    };
  } finally {
    for (const connection of connections) connection.close();
    agent.destroy();
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Through the service from a fleet behind a broker: a real Mosquitto, `serve --store influx --mqtt-url` subscribed to
 * it, and `simulate fleet` (one MQTT connection per device, QoS 1, back to back, from dist/) publishing DEVICES ×
 * WINDOWS_PER_DEVICE windows. The clock starts once MQTT_FROM_SHARE of them are stored locally (so the simulator's
 * start and its connects are not in it) and stops when the outbox writer wrote every window; the windows and CPU
 * counted are those of the same span.
 */
async function throughMqtt(url: string, database: string, total: number, influxd: number | undefined): Promise<Pass> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-influx-mqtt-'));
  const broker = await startMosquitto();
  const brokerPid = findPid('mosquitto', broker.dir);
  try {
    const service = await startServeChild(dataDir, url, database, ['--mqtt-url', broker.url, '--mqtt-client-id', 'bench-influx']);
    try {
      await waitFor('serve to subscribe', () => /session (new|resumed)/.test(service.output()), { timeoutMs: 60_000 });
      const simulator = startCli(
        [
          'simulate',
          'fleet',
          '--url',
          broker.url,
          '--devices',
          String(DEVICES),
          '--count',
          String(WINDOWS_PER_DEVICE),
          '--interval',
          '0',
          '--window',
          `${WINDOW_S}s`,
          '--device-prefix',
          `bench-mqtt-${database}`,
          '--protocol',
          '5',
        ],
        { entry: 'bin' },
      );
      // The simulator exits once its last window is acked, before the pass ends: its last reading stands then.
      let simulatorCpuUs = 0;
      const simulatorCpu = (): number => {
        const now = cpuMicros(simulator.child.pid);
        if (!Number.isNaN(now)) simulatorCpuUs = now;
        return simulatorCpuUs;
      };
      const reads = {
        writer: () => cpuMicros(service.pid),
        influxd: () => cpuMicros(influxd),
        client: simulatorCpu,
        broker: () => cpuMicros(brokerPid),
      };
      const fromStored = Math.ceil(total * MQTT_FROM_SHARE);
      let from = { atNs: 0n, stored: 0, cpuUs: {} as Record<string, number> };
      await waitFor(
        `${fromStored} windows stored`,
        () => {
          const stored = storedWindowsOrZero(dataDir);
          if (stored < fromStored) return simulator.child.exitCode !== null ? 'exited' : false;
          from = { atNs: process.hrtime.bigint(), stored, cpuUs: Object.fromEntries(Object.entries(reads).map(([name, read]) => [name, read()])) };
          return true;
        },
        { timeoutMs: 300_000, intervalMs: POLL_MS },
      );
      if (from.stored === 0) throw new Error(`the simulator exited before ${fromStored} windows were stored: ${simulator.err()}`);
      const influxdBefore = await influxdHttp(url);
      let ackedNs = 0n;
      await waitFor(
        'every window stored',
        () => {
          simulatorCpu();
          if (storedWindowsOrZero(dataDir) < total) return false;
          ackedNs = process.hrtime.bigint();
          return true;
        },
        { timeoutMs: 300_000, intervalMs: POLL_MS },
      );
      await writtenAll(service.url, total);
      const endNs = process.hrtime.bigint();
      const cpuUs = Object.fromEntries(Object.entries(reads).map(([name, read]) => [name, read() - (from.cpuUs[name] ?? 0)]));
      const influxdCounters = await influxdHttpSince(url, influxdBefore);
      await simulator.exited;
      const published = JSON.parse(simulator.out().trim().split('\n').pop() ?? '{}') as { acked?: number };
      if (published.acked !== total) throw new Error(`the simulator had ${published.acked} of ${total} windows acked: ${simulator.err()}`);
      const outbox = await outboxCounters(service.url);
      return {
        seconds: Number(endNs - from.atNs) / 1e9,
        windows: total - from.stored,
        ackedS: Number(ackedNs - from.atNs) / 1e9,
        batches: outbox?.batchesWritten,
        writerCpuUs: cpuUs.writer!,
        influxdCpuUs: cpuUs.influxd!,
        clientCpuUs: cpuUs.client!,
        brokerCpuUs: cpuUs.broker!,
        influxdHttp: influxdCounters,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Wait until the outbox writer's own count of written windows reaches `total`: not a count(*) over the database (that
 * query scans every point, and polling it would load influxd on this path only; the point count after the pass checks it).
 */
async function writtenAll(base: string, total: number): Promise<void> {
  await waitFor(`the outbox writer to write ${total} windows`, async () => ((await outboxCounters(base))?.windowsWritten ?? 0) >= total, {
    intervalMs: POLL_MS,
    timeoutMs: 300_000,
  });
}

/** The outbox writer's counters from the service's /api/health. */
async function outboxCounters(base: string): Promise<Record<string, number> | undefined> {
  const health = (await (await fetch(`${base}/api/health`)).json()) as { sources: { kind: string; name: string; counters: Record<string, number> }[] };
  return health.sources.find((source) => source.kind === 'store' && source.name.startsWith('influx:'))?.counters;
}

const rate = (pass: Pass): number => pass.windows / pass.seconds;
const best = (passes: Pass[]): Pass => passes.reduce((a, b) => (rate(a) >= rate(b) ? a : b));
/** The least CPU per window over the passes (µs): like the best rate, the pass least disturbed by other processes. */
const leastCpu = (passes: Pass[], key: 'writerCpuUs' | 'writerSystemCpuUs' | 'influxdCpuUs' | 'clientCpuUs' | 'brokerCpuUs'): string =>
  Math.min(...passes.map((pass) => (pass[key] ?? Number.NaN) / pass.windows)).toFixed(1);
const fmt = (pass: Pass): string => `${rate(pass).toFixed(0).padStart(7)} windows/s (${pass.windows} in ${pass.seconds.toFixed(2)} s)`;

export async function runInfluxBench(): Promise<void> {
  ensureBuilt();
  const windows = rows();
  const windowBatches = batches(windows, BATCH);
  const pointBatches = windowBatches.map((batch) => batch.map(windowPoint));
  const influxd = await startInfluxd();
  const influxdPid = findPid('influxd', influxd.dir);
  try {
    process.stdout.write(
      `InfluxDB bench: ${DEVICES} devices × ${WINDOWS_PER_DEVICE} windows, writes of at most ${BATCH} points, influxd 1.6 on loopback; ` +
        `http: POSTs of ${POST_WINDOWS} windows, ${HTTP_CONCURRENCY} devices at once (${HTTP_CLIENT}); mqtt: simulate fleet → Mosquitto, ` +
        `QoS 1, one connection per device, timed from ${MQTT_FROM_SHARE * 100} % stored; serve from dist/; best of ${PASSES}\n`,
    );
    const runs = new Map<PathName, Pass[]>(PATHS.map((name) => [name, []]));
    for (let pass = 0; pass < PASSES; pass += 1) {
      const databases: string[] = [];
      for (const name of PATHS) {
        if (!SELECTED.has(name)) continue;
        const database = `bench_${name}_${pass}`;
        databases.push(database);
        const run =
          name === 'bare'
            ? bareClient(influxd.url, database, pointBatches, influxdPid)
            : name === 'store'
              ? throughStore(influxd.url, database, windowBatches, influxdPid)
              : name === 'http'
                ? throughHttp(influxd.url, database, windows, influxdPid)
                : throughMqtt(influxd.url, database, windows.length, influxdPid);
        runs.get(name)!.push(name === 'bare' || name === 'store' ? await withInfluxdHttp(influxd.url, () => run) : await run);
      }
      for (const database of databases) {
        const count = await countPoints(influxd.url, database);
        if (count !== windows.length) throw new Error(`${database} holds ${count} points, not ${windows.length}`);
      }
    }
    const bare = runs.get('bare')!;
    const ratio = (passes: Pass[]): string => (bare.length === 0 ? '' : `ratio ${(rate(best(passes)) / rate(best(bare))).toFixed(2)}`);
    const lines: string[] = [];
    const cpuOf = (passes: Pass[], writer: string): string => {
      const system = passes.some((pass) => pass.writerSystemCpuUs !== undefined) ? ` (system ${leastCpu(passes, 'writerSystemCpuUs')} µs)` : '';
      return `CPU/window: ${writer} ${leastCpu(passes, 'writerCpuUs')} µs${system}, influxd ${leastCpu(passes, 'influxdCpuUs')} µs`;
    };
    for (const name of PATHS) {
      const passes = runs.get(name)!;
      if (passes.length === 0) continue;
      const top = best(passes);
      if (name === 'bare')
        lines.push(`bare influx client, writePoints of ${BATCH}              ${fmt(top)}              ${cpuOf(passes, 'bench')}`, `  (${influxdWork(top)})`);
      if (name === 'store') {
        lines.push(
          `InfluxWindowStore.writeWindows of ${BATCH}              ${fmt(top)}   ${ratio(passes)}   ${cpuOf(passes, 'bench')}`,
          `  (${influxdWork(top)})`,
        );
      }
      if (name === 'http') {
        lines.push(
          `serve, HTTP POST → SQLite → outbox → InfluxDB          ${fmt(top)}   ${ratio(passes)}   ${cpuOf(passes, 'serve')}, HTTP client ${leastCpu(passes, 'clientCpuUs')} µs`,
          `  (${top.posts} POSTs, ${top.batches} outbox writes; every window acknowledged after ${top.ackedS?.toFixed(2)} s; ${influxdWork(top)})`,
        );
      }
      if (name === 'mqtt') {
        lines.push(
          `serve, MQTT QoS 1 via Mosquitto → SQLite → outbox → InfluxDB ${fmt(top)}   ${ratio(passes)}   ${cpuOf(passes, 'serve')}, simulator ${leastCpu(passes, 'clientCpuUs')} µs, mosquitto ${leastCpu(passes, 'brokerCpuUs')} µs`,
          `  (${top.batches} outbox writes in the whole pass; every window stored after ${top.ackedS?.toFixed(2)} s; ${influxdWork(top)})`,
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runInfluxBench();
}
