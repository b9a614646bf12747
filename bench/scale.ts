/**
 * Scale-out benchmark (issue 12, docs/capacity.md): 1, 2 and 4 `serve` processes on one MQTT 5 shared subscription
 * ($share/bench/…) at one real Mosquitto, each with its own data directory (SQLite, synchronous = FULL, ack after
 * commit), fed by `simulate fleet` with QoS 1. Per run: stored windows/s of all instances together (publish start →
 * last window stored), the speed-up over one instance, and the CPU seconds each process used (from /proc), hence the
 * CPU cost of one window in the service and in the broker: the per-instance figures the capacity model is built from.
 * Every run checks that every window was stored exactly once (the parts add up to what was published).
 *
 * CPU per window is the figure that carries to other machines; windows/s on this machine is bounded by its cores,
 * which the instances, the broker and the simulator share (and, here, other work): the run says how many there are.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from '../test/helpers/wait-for.js';
import { startMosquitto } from '../test/ingest/mqtt/mosquitto.js';
import { startServe, startSimulator, storedWindowsOrZero, type ServeProcess } from '../test/ingest/mqtt/processes.js';

/** Instances per run, in order. */
const INSTANCE_COUNTS = [1, 2, 4] as const;
/** Windows per run: several seconds at this machine's rate, so the rate is stable. */
const BENCH_WINDOWS = 20_000;
/** Devices (connections) sharing them, 50 by default (`BENCH_SCALE_DEVICES`: more connections, more windows in flight). */
const BENCH_DEVICES = Number(process.env.BENCH_SCALE_DEVICES ?? 50);
const BENCH_WINDOWS_PER_DEVICE = Math.round(BENCH_WINDOWS / BENCH_DEVICES);
const BENCH_TOTAL = BENCH_DEVICES * BENCH_WINDOWS_PER_DEVICE;
/** Poll interval of the stored count (ms): the resolution of the end time. */
const POLL_MS = 20;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

export interface ScaleRun {
  instances: number;
  windowsPerS: number;
  durationS: number;
  /** CPU seconds per process during the run: each instance, the broker, the simulator. */
  serviceCpuS: number[];
  brokerCpuS: number;
  simulatorCpuS: number;
  parts: number[];
}

/** utime + stime of a process, in seconds (0 once it is gone). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The pid of the mosquitto started with a config in `dir` (the test broker does not expose its child). */
function mosquittoPid(dir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('mosquitto') && cmdline.includes(dir)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

async function runOnce(instances: number): Promise<ScaleRun> {
  const broker = await startMosquitto();
  const dirs = Array.from({ length: instances }, (_, n) => mkdtempSync(path.join(os.tmpdir(), `tinyml-bench-scale-${n}-`)));
  const services: ServeProcess[] = [];
  try {
    for (const [n, dir] of dirs.entries())
      services.push(await startServe(dir, ['--mqtt-url', broker.url, '--mqtt-share', 'bench', '--mqtt-client-id', `bench-scale-${n}`]));
    for (const service of services) await waitFor('instance subscribed', () => /session new/.test(service.output()), { timeoutMs: 30_000 });
    const brokerPid = mosquittoPid(broker.dir);
    const cpuBefore = services.map((service) => cpuSeconds(service.child.pid));
    const brokerBefore = cpuSeconds(brokerPid);
    const startMs = performance.now();
    const simulator = startSimulator([
      '--url',
      broker.url,
      '--devices',
      String(BENCH_DEVICES),
      '--count',
      String(BENCH_WINDOWS_PER_DEVICE),
      '--interval',
      '0',
      '--device-prefix',
      `scale${instances}`,
      '--protocol',
      '5',
    ]);
    let simulatorCpuS = 0;
    const sampleSimulator = setInterval(() => (simulatorCpuS = Math.max(simulatorCpuS, cpuSeconds(simulator.child.pid))), 100);
    const stored = () => dirs.reduce((sum, dir) => sum + storedWindowsOrZero(dir), 0);
    try {
      await simulator.result;
      await waitFor('every window stored', () => stored() >= BENCH_TOTAL, { timeoutMs: 600_000, intervalMs: POLL_MS });
    } finally {
      clearInterval(sampleSimulator);
    }
    const durationS = (performance.now() - startMs) / 1000;
    const serviceCpuS = services.map((service, n) => cpuSeconds(service.child.pid) - cpuBefore[n]!);
    const brokerCpuS = cpuSeconds(brokerPid) - brokerBefore;
    const parts = dirs.map(storedWindowsOrZero);
    const total = parts.reduce((sum, part) => sum + part, 0);
    if (total !== BENCH_TOTAL) throw new Error(`${instances} instances stored ${total} of ${BENCH_TOTAL} windows`);
    return { instances, windowsPerS: BENCH_TOTAL / durationS, durationS, serviceCpuS, brokerCpuS, simulatorCpuS, parts };
  } finally {
    for (const service of services) await service.kill('SIGTERM');
    await broker.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export async function runScaleBench(): Promise<ScaleRun[]> {
  const runs: ScaleRun[] = [];
  const [load1] = os.loadavg();
  process.stdout.write(`machine: ${os.cpus().length} cores, load average ${load1!.toFixed(1)} at start; ${BENCH_TOTAL} windows per run (QoS 1)\n`);
  for (const instances of INSTANCE_COUNTS) {
    const run = await runOnce(instances);
    runs.push(run);
    const serviceCpu = run.serviceCpuS.reduce((sum, s) => sum + s, 0);
    const speedUp = run.windowsPerS / runs[0]!.windowsPerS;
    process.stdout.write(
      [
        `${instances} instance(s): ${run.windowsPerS.toFixed(0)} windows/s stored (${run.durationS.toFixed(1)} s), ×${speedUp.toFixed(2)} of 1 instance`,
        `  parts ${run.parts.join(' + ')} = ${BENCH_TOTAL} (nothing lost, nothing doubled)`,
        `  CPU: service ${serviceCpu.toFixed(1)} s (${run.serviceCpuS.map((s) => s.toFixed(1)).join(' / ')}) = ${((serviceCpu / BENCH_TOTAL) * 1e6).toFixed(0)} µs/window; ` +
          `broker ${run.brokerCpuS.toFixed(1)} s = ${((run.brokerCpuS / BENCH_TOTAL) * 1e6).toFixed(0)} µs/window; simulator ${run.simulatorCpuS.toFixed(1)} s`,
        `  cores busy on average: ${((serviceCpu + run.brokerCpuS + run.simulatorCpuS) / run.durationS).toFixed(2)} of ${os.cpus().length}`,
      ].join('\n') + '\n',
    );
  }
  return runs;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runScaleBench();
}
