/**
 * Windows/s into InfluxDB: the service's InfluxDB store (InfluxWindowStore.writeWindows: point building, schema
 * check, line protocol) against the bare `influx` client writing the same points (prebuilt, outside the timer), with
 * the same batch size, one batch in flight, into the same influxd, in the same run. Each pass writes into a fresh
 * database so that neither finds the other's series. A point count after each pass checks that every window arrived.
 * A third path goes through the whole service (HTTP POST → SQLite commit → outbox writer → InfluxDB): `serve --store
 * influx` in a child process of its own (a fleet's clients are not in the service's process), posted to as a fleet
 * posts: round after round, every device sends its next `BENCH_INFLUX_POST_WINDOWS` windows (default 10: a device that
 * buffers 100 s), many devices at once. Besides windows/s (wall clock, which other processes on a shared machine
 * disturb), each path reports CPU per window: of this process for the two in-process paths, of the serve process for
 * the service, and influxd's for all three (from /proc).
 * Goal: through the service ≥ 0.8× the bare client. Run alone: `npx tsx bench/influx.ts` (needs `influxd`: Debian's
 * influxdb). `BENCH_INFLUX_PASSES` (default 3), `BENCH_INFLUX_POST_WINDOWS`; `BENCH_CPU_PROF_DIR=<dir>` runs the serve
 * process under `node --cpu-prof` into that directory.
 */
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { InfluxDB, type IPoint } from 'influx';
import type { EnergyWindow } from '../src/domain/types.js';
import { WINDOW_MEASUREMENT, WINDOW_SCHEMA, windowPoint } from '../src/store/influx/influx-points.js';
import { InfluxWindowStore } from '../src/store/influx/influx-window-store.js';
import { OUTBOX_BATCH_WINDOWS } from '../src/store/outbox/outbox-writer.js';
import type { StoredWindow } from '../src/store/window-store.js';
import { startInfluxd } from '../test/helpers/influxd.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { benchServeArgs } from './serve-args.js';

/** Devices, as an MQTT micro-batch interleaves them. */
const DEVICES = 1_000;
/** Windows per device: 50 000 windows per pass, a few seconds each at InfluxDB 1.6's rate on this machine. */
const WINDOWS_PER_DEVICE = 50;
/** Points per write request, every path: what the outbox writer sends InfluxDB in one request. */
const BATCH = OUTBOX_BATCH_WINDOWS;
/** Best of 3 passes per path, alternating: the least disturbed by the other processes on a shared machine. */
const PASSES = Number(process.env.BENCH_INFLUX_PASSES ?? 3);
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
  /** Service path: when the last 201 came (s after the first POST); the rest of the pass is the outbox catching up. */
  ackedS?: number;
  /** Service path: POST requests sent. */
  posts?: number;
  /** Service path: write requests the outbox writer sent InfluxDB (its batchesWritten). */
  batches?: number;
  /** CPU of the writing process during the pass (µs): this one for the in-process paths, the serve process for the service. */
  writerCpuUs?: number;
  /** CPU of influxd during the pass (µs). */
  influxdCpuUs?: number;
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

async function timed(windows: number, write: () => Promise<void>): Promise<Pass> {
  const started = process.hrtime.bigint();
  await write();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, windows };
}

async function bareClient(url: string, database: string, points: readonly IPoint[][]): Promise<Pass> {
  const client = clientFor(url, database);
  await client.createDatabase(database);
  const windows = points.reduce((n, batch) => n + batch.length, 0);
  return timed(windows, async () => {
    for (const batch of points) await client.writePoints(batch, { precision: 'n' });
  });
}

async function throughStore(url: string, database: string, windows: readonly StoredWindow[][]): Promise<Pass> {
  const store = new InfluxWindowStore({ url, database });
  await store.aggregates(['warm-up']); // creates the database, as the service does at its first write
  try {
    return await timed(
      windows.reduce((n, batch) => n + batch.length, 0),
      async () => {
        for (const batch of windows) await store.writeWindows(batch);
      },
    );
  } finally {
    await store.close();
  }
}

/** Windows per POST: a device that buffers `n` windows of 10 s and sends them together (1 is a device posting each window). */
const POST_WINDOWS = Number(process.env.BENCH_INFLUX_POST_WINDOWS ?? 10);
/** Devices posting at once (keep-alive connections): a fleet's devices report independently. */
const HTTP_CONCURRENCY = 32;
/** How often the service path polls the outbox writer's health counters (ms): short next to a pass, light on serve. */
const HEALTH_POLL_MS = 100;
/** The API token the bench gives the serve process. */
const TOKEN = 'bench-token';
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** utime + stime of a process (µs), 0 once it is gone. */
function processCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1e6;
  } catch {
    return 0;
  }
}

const ownCpuUs = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** The pid of the influxd whose config lives in `dir` (the test helper does not expose its child). */
function influxdPid(dir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('influxd') && cmdline.includes(dir)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

/** CPU (µs) of the writing process and of influxd over `write`. */
async function withCpu(writerCpuUs: () => number, influxd: number | undefined, write: () => Promise<Pass>): Promise<Pass> {
  const writer0 = writerCpuUs();
  const influx0 = processCpuUs(influxd);
  const pass = await write();
  return { ...pass, writerCpuUs: writerCpuUs() - writer0, influxdCpuUs: processCpuUs(influxd) - influx0 };
}

interface ServeChild {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** `serve --store influx` in a child process (graceful stop: SIGTERM, so that a --cpu-prof profile is written). */
async function startServeChild(dataDir: string, influxUrl: string, database: string): Promise<ServeChild> {
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  const profile = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  const args = benchServeArgs(dataDir);
  args.push('--store', 'influx', '--influx-url', influxUrl, '--influx-database', database);
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TINYML_API_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const match = await waitFor('serve to listen', () => /listening on (http:\/\/[^\s]+)/.exec(output) ?? (child.exitCode !== null ? 'exited' : null), {
    timeoutMs: 60_000,
  });
  if (match === 'exited') throw new Error(`serve exited: ${output}`);
  return {
    url: match[1] as string,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
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
 * Through the service: `serve --store influx` in a child process, every device registered (default spec), then the
 * fleet's posts, HTTP_CONCURRENCY at a time; each 201 follows the local SQLite commit, and the outbox writer copies the
 * windows to InfluxDB behind it. The pass lasts from the first POST until InfluxDB holds every point.
 */
async function throughService(url: string, database: string, windows: readonly StoredWindow[], influxd: number | undefined): Promise<Pass> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-influx-'));
  const service = await startServeChild(dataDir, url, database);
  const base = service.url;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    const ids = [...new Set(windows.map((w) => w.deviceId))];
    const registered = await fetch(`${base}/api/devices`, {
      method: 'POST',
      headers,
      body: JSON.stringify(ids.map((id) => ({ id }))),
    });
    if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${await registered.text()}`);
    const posts = fleetPosts(windows);
    return await withCpu(
      () => processCpuUs(service.pid),
      influxd,
      async () => {
        const started = process.hrtime.bigint();
        let ackedS = 0;
        const pass = await timed(windows.length, async () => {
          let next = 0;
          const post = async (): Promise<void> => {
            while (next < posts.length) {
              const { id, body } = posts[next++] as { id: string; body: string };
              const response = await fetch(`${base}/api/devices/${id}/windows`, { method: 'POST', headers, body });
              if (response.status !== 201) throw new Error(`POST windows of ${id} answered ${response.status}: ${await response.text()}`);
            }
          };
          await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, post));
          ackedS = Number(process.hrtime.bigint() - started) / 1e9;
          // The writer's own count of acknowledged windows, not a count(*) over the database: that query scans every
          // point, and polling it would load influxd on this path only. The point count after the pass checks it.
          await waitFor(
            `the outbox writer to write ${windows.length} windows`,
            async () => ((await outboxCounters(base))?.windowsWritten ?? 0) >= windows.length,
            {
              intervalMs: HEALTH_POLL_MS,
              timeoutMs: 300_000,
            },
          );
        });
        const outbox = await outboxCounters(base);
        return { ...pass, ackedS, posts: posts.length, batches: outbox?.batchesWritten };
      },
    );
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The outbox writer's counters from the service's /api/health. */
async function outboxCounters(base: string): Promise<Record<string, number> | undefined> {
  const health = (await (await fetch(`${base}/api/health`)).json()) as { sources: { kind: string; name: string; counters: Record<string, number> }[] };
  return health.sources.find((source) => source.kind === 'store' && source.name.startsWith('influx:'))?.counters;
}

const rate = (pass: Pass): number => pass.windows / pass.seconds;
const best = (passes: Pass[]): Pass => passes.reduce((a, b) => (rate(a) >= rate(b) ? a : b));
/** The least CPU per window over the passes (µs): like the best rate, the pass least disturbed by other processes. */
const leastCpu = (passes: Pass[], key: 'writerCpuUs' | 'influxdCpuUs'): number => Math.min(...passes.map((pass) => (pass[key] ?? 0) / pass.windows));
const fmt = (pass: Pass): string => `${rate(pass).toFixed(0).padStart(8)} windows/s  (${pass.windows} in ${pass.seconds.toFixed(2)} s)`;
const cpu = (passes: Pass[], writer: string): string =>
  `CPU/window: ${writer} ${leastCpu(passes, 'writerCpuUs').toFixed(1)} µs, influxd ${leastCpu(passes, 'influxdCpuUs').toFixed(1)} µs`;

export async function runInfluxBench(): Promise<void> {
  const windows = rows();
  const windowBatches = batches(windows, BATCH);
  const pointBatches = windowBatches.map((batch) => batch.map(windowPoint));
  const influxd = await startInfluxd();
  const influxdProcess = influxdPid(influxd.dir);
  try {
    process.stdout.write(
      `InfluxDB bench: ${DEVICES} devices × ${WINDOWS_PER_DEVICE} windows in writes of ${BATCH} points, influxd 1.6 on loopback; ` +
        `service: POSTs of ${POST_WINDOWS} windows, ${HTTP_CONCURRENCY} devices at once; best of ${PASSES}\n`,
    );
    const bare: Pass[] = [];
    const store: Pass[] = [];
    const service: Pass[] = [];
    for (let pass = 0; pass < PASSES; pass += 1) {
      const bareDb = `bench_bare_${pass}`;
      bare.push(await withCpu(ownCpuUs, influxdProcess, () => bareClient(influxd.url, bareDb, pointBatches)));
      const storeDb = `bench_store_${pass}`;
      store.push(await withCpu(ownCpuUs, influxdProcess, () => throughStore(influxd.url, storeDb, windowBatches)));
      const serviceDb = `bench_service_${pass}`;
      service.push(await throughService(influxd.url, serviceDb, windows, influxdProcess));
      for (const database of [bareDb, storeDb, serviceDb]) {
        const count = await countPoints(influxd.url, database);
        if (count !== windows.length) throw new Error(`${database} holds ${count} points, not ${windows.length}`);
      }
    }
    const lines = [
      `baseline: bare influx client, writePoints of ${BATCH}     ${fmt(best(bare))}   ${cpu(bare, 'bench')}`,
      `InfluxWindowStore.writeWindows of ${BATCH}              ${fmt(best(store))}   ratio ${(rate(best(store)) / rate(best(bare))).toFixed(2)}   ${cpu(store, 'bench')}`,
      `serve --store influx: HTTP POST → SQLite → outbox → InfluxDB ${fmt(best(service))}   ratio ${(rate(best(service)) / rate(best(bare))).toFixed(2)}   ${cpu(service, 'serve')}`,
      `  (${best(service).posts} POSTs, ${best(service).batches} outbox writes; every window acknowledged after ${best(service).ackedS?.toFixed(2)} s; the rest is the outbox writer catching up)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await influxd.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runInfluxBench();
}
