/**
 * Embedded broker ingest benchmark: windows/s stored by `serve`'s embedded aedes broker from 100 device connections
 * (per-device credentials, QoS 1, PUBACK after the commit, SQLite synchronous = FULL), against a baseline measured in
 * the same run with the same publisher: a bare aedes broker of the same version that acks every PUBLISH at once and
 * stores nothing (the ceiling of aedes plus the publisher on this machine). The publisher (`simulate fleet`) and the
 * service are separate processes, as deployed; the baseline broker runs in this process.
 * Rates and CPU per window (the process under test: serve, or this process for the bare broker) are taken between 10 %
 * and 90 % of the windows, so connecting (scrypt per device) is not in them.
 * `serve` runs as in production (`npm start`: `bin/tinyml-footprint.js`, the built JavaScript in dist/): the bench
 * builds dist/ first (`npm run build`) when it is missing or older than a source file, so that the figure has no tsx
 * compile hooks in it. BENCH_SERVE_ENTRY=tsx runs the TypeScript sources through tsx instead (the tests' way).
 * Run alone: `npx tsx bench/broker.ts`.
 * BENCH_CPU_PROF=dir   serve runs under `node --cpu-prof` and writes its profile there when it exits (SIGTERM)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Aedes } from 'aedes';
import { runCli } from '../test/helpers/cli.js';
import { freePort } from '../test/helpers/free-port.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { countStoredWindows, startSimulator, storedWindowsOrZero } from '../test/ingest/mqtt/processes.js';
import { cpuSeconds, ownCpuMicros } from './proc-cpu.js';
import { ensureBuilt, startBenchServe } from './serve-child.js';

/** The issue's figure: 100 device connections. */
const DEVICES = 100;
/** Windows per device: 100 000 in all, several seconds even at the goal rate. */
const WINDOWS_PER_DEVICE = 1_000;
const TOTAL = DEVICES * WINDOWS_PER_DEVICE;
/** Poll interval of the counts (ms): 5 s of measurement at the goal rate, so ±2 % at most. */
const POLL_MS = 100;
const GOAL_WINDOWS_PER_S = 15_000;
const FROM_SHARE = 0.1;
const TO_SHARE = 0.9;
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
const SERVE_ENTRY: 'dist' | 'tsx' = process.env.BENCH_SERVE_ENTRY === 'tsx' ? 'tsx' : 'dist';

interface Measured {
  /** Windows/s between FROM_SHARE and TO_SHARE of TOTAL. */
  rate: number;
  /** CPU µs (user + system) of the process under test per window over the same span: the load of other processes does not change it. */
  cpuUsPerWindow: number;
}

/** Rate and CPU per window between FROM_SHARE and TO_SHARE of TOTAL, read by polling `count` and `cpuS` (CPU seconds so far). */
async function measureRate(count: () => number, cpuS: () => number): Promise<Measured> {
  let fromMs = Number.NaN;
  let toMs = Number.NaN;
  let fromCount = 0;
  let toCount = 0;
  let fromCpuS = 0;
  let toCpuS = 0;
  await waitFor(
    'windows',
    () => {
      const n = count();
      const now = performance.now();
      if (Number.isNaN(fromMs) && n >= TOTAL * FROM_SHARE) [fromMs, fromCount, fromCpuS] = [now, n, cpuS()];
      if (Number.isNaN(toMs) && n >= TOTAL * TO_SHARE) [toMs, toCount, toCpuS] = [now, n, cpuS()];
      return n >= TOTAL;
    },
    { timeoutMs: 600_000, intervalMs: POLL_MS },
  );
  return { rate: (toCount - fromCount) / ((toMs - fromMs) / 1000), cpuUsPerWindow: ((toCpuS - fromCpuS) * 1e6) / (toCount - fromCount) };
}

function simulatorArgs(port: number, credentialsFile: string | null): string[] {
  return [
    '--url',
    `mqtt://127.0.0.1:${port}`,
    '--devices',
    String(DEVICES),
    '--count',
    String(WINDOWS_PER_DEVICE),
    '--interval',
    '0',
    '--device-prefix',
    'bench',
    ...(credentialsFile === null ? [] : ['--credentials', credentialsFile]),
  ];
}

/** The ceiling: aedes acking every PUBLISH on arrival, nothing stored, no credentials. */
async function bareBroker(): Promise<Measured> {
  let windows = 0;
  const broker = await Aedes.createBroker({
    authorizePublish(_client, packet, callback) {
      if (packet.topic.endsWith('/window')) windows += 1;
      callback(null);
    },
  });
  const server = net.createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const simulator = startSimulator(simulatorArgs((server.address() as AddressInfo).port, null));
    const measured = await measureRate(
      () => windows,
      () => ownCpuMicros() / 1e6,
    );
    await simulator.result;
    return measured;
  } finally {
    server.close();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}

async function service(): Promise<Measured & { stored: number; commits: number | undefined; cpuS: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-broker-'));
  const credentialsFile = path.join(dataDir, 'fleet-credentials.json');
  try {
    const issued = await runCli([
      'mqtt-credentials',
      '--data-dir',
      dataDir,
      '--devices',
      String(DEVICES),
      '--device-prefix',
      'bench',
      '--out',
      credentialsFile,
    ]);
    if (issued.code !== 0) throw new Error(`mqtt-credentials failed: ${issued.stderr}`);
    const port = await freePort();
    // From dist/ (`npm start`) or through tsx (BENCH_SERVE_ENTRY=tsx); SIGTERM at the end writes a --cpu-prof profile.
    const serve = await startBenchServe({
      dataDir,
      entry: SERVE_ENTRY === 'tsx' ? 'tsx' : 'bin',
      nodeFlags: CPU_PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR],
      mqttPort: port,
      args: ['--mqtt-host', '127.0.0.1'],
      token: 'test-token',
    });
    try {
      const simulator = startSimulator(simulatorArgs(port, credentialsFile));
      const measured = await measureRate(
        () => storedWindowsOrZero(dataDir),
        () => cpuSeconds(serve.pid),
      );
      const published = await simulator.result;
      if (published.acked !== TOTAL) throw new Error(`${published.acked} of ${TOTAL} acked`);
      const health = (await (await fetch(`${serve.url}/api/health`)).json()) as { ingest: { commits?: number } };
      return { ...measured, stored: countStoredWindows(dataDir), commits: health.ingest.commits, cpuS: cpuSeconds(serve.pid) };
    } finally {
      await serve.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runBrokerBench(): Promise<void> {
  if (SERVE_ENTRY === 'dist') ensureBuilt();
  process.stdout.write(
    `Embedded broker bench: ${DEVICES} device connections × ${WINDOWS_PER_DEVICE} QoS 1 windows (simulate fleet, 20 in flight per device); rate between ${FROM_SHARE * 100} % and ${TO_SHARE * 100} %; serve from ${SERVE_ENTRY === 'dist' ? 'dist/ (npm start)' : 'the sources through tsx'}\n`,
  );
  const baseline = await bareBroker();
  const stored = await service();
  const lines = [
    `baseline: bare aedes, ack on arrival, nothing stored   ${baseline.rate.toFixed(0).padStart(7)} windows/s   ${baseline.cpuUsPerWindow.toFixed(1).padStart(6)} µs CPU per window`,
    `serve, embedded broker, stored (ack after commit)      ${stored.rate.toFixed(0).padStart(7)} windows/s   ${stored.cpuUsPerWindow.toFixed(1).padStart(6)} µs CPU per window   ratio ${(stored.rate / baseline.rate).toFixed(2)} (rate), ${(baseline.cpuUsPerWindow / stored.cpuUsPerWindow).toFixed(2)} (CPU)`,
    `serve's core busy over the span: ${((stored.rate * stored.cpuUsPerWindow) / 1e6).toFixed(2)} (rate × CPU per window; below 1, serve waits: for the fsyncs, the round trips, or the publisher)`,
    `serve's CPU for the whole run (connects and startup included): ${stored.cpuS.toFixed(1)} s, ${((stored.cpuS / TOTAL) * 1e6).toFixed(0)} µs per window (load-independent, unlike the rate on a shared machine)`,
    `store transactions: ${stored.commits === undefined ? 'not counted (no group commit)' : `${stored.commits} (${(TOTAL / stored.commits).toFixed(1)} windows per commit)`}`,
    `stored ${stored.stored} of ${TOTAL} (goal: all, exactly once); goal ≥ ${GOAL_WINDOWS_PER_S} windows/s: ${stored.rate >= GOAL_WINDOWS_PER_S ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (stored.stored !== TOTAL) throw new Error(`stored ${stored.stored} of ${TOTAL}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBrokerBench();
}
