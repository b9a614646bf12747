/**
 * Scale-out benchmark (issue 12, docs/capacity.md): 1, 2 and 4 `serve` processes on one MQTT 5 shared subscription
 * ($share/bench/…) at one real Mosquitto, each with its own data directory (SQLite, synchronous = FULL, ack after
 * commit), fed by `simulate fleet` processes with QoS 1. Every run checks that every window was stored exactly once
 * (the parts add up to what was published).
 *
 * The figures are taken in the steady state: between the moment 10 % of the windows are stored and the moment 90 % are
 * (so neither the simulators' start, with tsx compiling and 50 connections opening, nor the tail of the last acks is
 * in them). Over that interval: stored windows/s of all instances together, the speed-up over one instance, and the
 * CPU time each process used (from /proc/<pid>/stat), hence the CPU cost of one window in each instance, the broker
 * and the simulator: the per-instance figures the capacity model is built from. "cores busy" is their sum per second.
 * Each main thread's share of the wall time on a CPU and waiting for one (schedstat) says which process is the bound:
 * near 1.00 together it always has work (or, on a loaded machine, waits for the scheduler); far below it waits for its
 * input. The group commits (count, and the store's time in them, fsync included) come from each instance's /metrics.
 *
 * CPU per window is the figure that carries to other machines; windows/s on this machine is bounded by its cores,
 * which the instances, the broker and the simulators share (and, here, other work): the run says how many there are.
 *
 * Options (environment): BENCH_SCALE_INSTANCES (default "1,2,4"), BENCH_SCALE_WINDOWS (20 000), BENCH_SCALE_DEVICES
 * (50 connections), BENCH_SCALE_SIMULATORS (1 process; the devices are split among them), BENCH_SCALE_INFLIGHT (20
 * unacked windows per device), BENCH_SCALE_RATE (windows/s over all simulators; default as fast as they can).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../src/store/data-dir.js';
import { SIM_MAX_INFLIGHT_PER_DEVICE } from '../src/sim/fleet/fleet-simulator.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { startMosquitto } from '../test/ingest/mqtt/mosquitto.js';
import { startServe, startSimulator, type ServeProcess, type SimulatorProcess } from '../test/ingest/mqtt/processes.js';
import { cpuSeconds, cpuTimes, findPid } from './proc-cpu.js';

/** The API token `startServe` gives its instances (test/ingest/mqtt/processes.ts). */
const SERVE_API_TOKEN = 'test-token';

function envList(name: string, fallback: readonly number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return [...fallback];
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1))
    throw new Error(`${name} must be a comma-separated list of positive integers, got "${text}"`);
  return values;
}

function envInteger(name: string, fallback: number): number {
  const [value] = envList(name, [fallback]);
  return value!;
}

/** Instances per run, in order. */
const INSTANCE_COUNTS = envList('BENCH_SCALE_INSTANCES', [1, 2, 4]);
/** Windows per run: several seconds at this machine's rate, so the steady state is long enough to measure. */
const BENCH_WINDOWS = envInteger('BENCH_SCALE_WINDOWS', 20_000);
/** Devices (connections) sharing them. */
const BENCH_DEVICES = envInteger('BENCH_SCALE_DEVICES', 50);
/** Simulator processes; the devices are split among them (one Node process publishes at a bounded rate). */
const BENCH_SIMULATORS = Math.min(envInteger('BENCH_SCALE_SIMULATORS', 1), BENCH_DEVICES);
/** Unacked windows per device (the simulator's in-flight window). */
const BENCH_INFLIGHT = envInteger('BENCH_SCALE_INFLIGHT', SIM_MAX_INFLIGHT_PER_DEVICE);
/** Windows per second over all simulators (`BENCH_SCALE_RATE`); unset = as fast as they can. A paced run shows an instance's cost at a given rate. */
const BENCH_RATE = process.env.BENCH_SCALE_RATE === undefined ? undefined : envInteger('BENCH_SCALE_RATE', 1);
const BENCH_WINDOWS_PER_DEVICE = Math.max(1, Math.round(BENCH_WINDOWS / BENCH_DEVICES));
const BENCH_TOTAL = BENCH_DEVICES * BENCH_WINDOWS_PER_DEVICE;
/** Sample interval of the stored count and the CPU counters (ms): the resolution of the steady-state interval. */
const SAMPLE_MS = 50;
/** The steady state: from this fraction of the windows stored … */
const STEADY_FROM = 0.1;
/** … to this one. */
const STEADY_TO = 0.9;
/** How long each instance's idle CPU is sampled before publishing starts (ms); /proc counts in 10 ms ticks. */
const IDLE_SAMPLE_MS = 2_000;

export interface ScaleRun {
  instances: number;
  /** Steady state (10 % → 90 % stored): windows/s of all instances together, and its length. */
  windowsPerS: number;
  steadyS: number;
  /** Simulators started → last window stored, and → first window stored (their start-up: tsx, connects). */
  wholeS: number;
  firstStoredS: number;
  /** Simulators started → the last simulator's last window acked by the broker (QoS 1 is acked hop by hop: the broker
   * acks on receipt and queues for the instances, so publishing ends before storing when the instances are the bound). */
  publishedS: number;
  /** Each instance's CPU per second while idle (subscribed, nothing published): its fixed cost. */
  idleCpuPerS: number[];
  /** Each instance's use of the steady state, and the time its store spent in group commits (fsync included). */
  service: ProcessUse[];
  appendS: number[];
  commits: number[];
  broker: ProcessUse;
  /** The simulator processes together (their main threads' run and wait added up). */
  simulator: ProcessUse;
  /** Windows stored in the steady state (the denominator of the CPU per window). */
  steadyWindows: number;
  parts: number[];
}

/**
 * Main thread's time on a CPU and waiting for one (run queue), in seconds, from /proc/<pid>/task/<pid>/schedstat
 * (NaN once gone). The main thread is the one that matters: Node's event loop and Mosquitto's only thread. On CPU +
 * waiting close to the wall time means the thread is the bound; far below it means it waits for its input.
 */
function mainThreadSched(pid: number | undefined): { runS: number; waitS: number } {
  if (pid === undefined) return { runS: Number.NaN, waitS: Number.NaN };
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { runS: run! / 1e9, waitS: wait! / 1e9 };
  } catch {
    return { runS: Number.NaN, waitS: Number.NaN };
  }
}

/** Seconds and calls the store spent appending windows (each group commit, fsync included), from `/metrics`. */
async function storeAppendTime(httpUrl: string): Promise<{ seconds: number; calls: number }> {
  const response = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${SERVE_API_TOKEN}` } });
  const text = await response.text();
  let seconds = 0;
  let calls = 0;
  for (const line of text.split('\n')) {
    const match = /^tinyml_store_operation_duration_seconds_(sum|count)\{operation="append[^"]*"[^}]*\} (\S+)$/.exec(line);
    if (match === null) continue;
    if (match[1] === 'sum') seconds += Number(match[2]);
    else calls += Number(match[2]);
  }
  return { seconds, calls };
}

/** Counts an instance's stored windows through one read-only connection, opened once the database exists. */
class StoredCounter {
  private db: Database.Database | null = null;
  constructor(private readonly dataDir: string) {}
  count(): number {
    if (this.db === null) {
      try {
        this.db = new Database(path.join(this.dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
      } catch {
        return 0;
      }
    }
    try {
      return (this.db.prepare('SELECT count(*) AS n FROM energy_windows').get() as { n: number }).n;
    } catch {
      return 0; // the schema is not there yet
    }
  }
  close(): void {
    this.db?.close();
    this.db = null;
  }
}

/** One process's counters at a sample: CPU of all its threads, and its main thread's run and run-queue wait. */
interface ProcessReading {
  cpuS: number;
  /** Of which in the kernel (system calls: socket I/O, fsync). */
  systemS: number;
  runS: number;
  waitS: number;
}

function readProcess(pid: number | undefined): ProcessReading {
  const { userS, systemS } = cpuTimes(pid);
  return { cpuS: userS + systemS, systemS, ...mainThreadSched(pid) };
}

interface Sample {
  atS: number;
  stored: number;
  /** Each instance, the broker, each simulator. */
  service: ProcessReading[];
  broker: ProcessReading;
  simulators: ProcessReading[];
  /** Each instance's store append time, fetched when this sample was taken (only the steady state's two ends). */
  append?: Promise<{ seconds: number; calls: number }[]>;
}

/** A process's use of the steady state: CPU seconds (all threads) and its main thread's run and wait seconds. */
export interface ProcessUse {
  cpuS: number;
  systemS: number;
  runS: number;
  waitS: number;
}

function use(from: ProcessReading, to: ProcessReading): ProcessUse {
  return { cpuS: to.cpuS - from.cpuS, systemS: to.systemS - from.systemS, runS: to.runS - from.runS, waitS: to.waitS - from.waitS };
}

function addUse(a: ProcessUse, b: ProcessUse): ProcessUse {
  return { cpuS: a.cpuS + b.cpuS, systemS: a.systemS + b.systemS, runS: a.runS + b.runS, waitS: a.waitS + b.waitS };
}

/** The first sample at or after `fraction` of the windows stored. */
function sampleAt(samples: readonly Sample[], fraction: number): Sample {
  const found = samples.find((sample) => sample.stored >= fraction * BENCH_TOTAL);
  if (found === undefined) throw new Error(`no sample with ${fraction * 100} % of the windows stored`);
  return found;
}

/** `devices` split into `parts` nearly equal counts. */
function split(devices: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, n) => Math.floor(devices / parts) + (n < devices % parts ? 1 : 0));
}

async function runOnce(instances: number): Promise<ScaleRun> {
  const broker = await startMosquitto();
  const dirs = Array.from({ length: instances }, (_, n) => mkdtempSync(path.join(os.tmpdir(), `tinyml-bench-scale-${n}-`)));
  const counters = dirs.map((dir) => new StoredCounter(dir));
  const services: ServeProcess[] = [];
  try {
    for (const [n, dir] of dirs.entries())
      services.push(await startServe(dir, ['--mqtt-url', broker.url, '--mqtt-share', 'bench', '--mqtt-client-id', `bench-scale-${n}`]));
    for (const service of services) await waitFor('instance subscribed', () => /session new/.test(service.output()), { timeoutMs: 30_000 });
    const brokerPid = findPid('mosquitto', broker.dir);
    const idleFrom = services.map((service) => cpuSeconds(service.child.pid));
    const idleFromMs = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const idleS = (performance.now() - idleFromMs) / 1000;
    const idleCpuPerS = services.map((service, n) => (cpuSeconds(service.child.pid) - idleFrom[n]!) / idleS);
    const startMs = performance.now();
    const simulators: SimulatorProcess[] = split(BENCH_DEVICES, BENCH_SIMULATORS).map((devices, n) =>
      startSimulator([
        '--url',
        broker.url,
        '--devices',
        String(devices),
        '--count',
        String(BENCH_WINDOWS_PER_DEVICE),
        '--interval',
        '0',
        // Each simulator names its devices with its own prefix, so every device id is unique across them.
        '--device-prefix',
        `scale${instances}s${n}`,
        '--protocol',
        '5',
        '--max-inflight',
        String(BENCH_INFLIGHT),
        ...(BENCH_RATE === undefined ? [] : ['--rate-limit', String(Math.max(1, Math.round((BENCH_RATE * devices) / BENCH_DEVICES)))]),
      ]),
    );
    const samples: Sample[] = [];
    // A finished simulator keeps the counters it had last.
    const lastSimulator: ProcessReading[] = simulators.map(() => ({ cpuS: 0, systemS: 0, runS: 0, waitS: 0 }));
    const appendTimes = () => Promise.all(services.map((service) => storeAppendTime(service.httpUrl)));
    const sample = (): Sample => {
      const simulatorReadings = simulators.map((simulator, n) => {
        const now = readProcess(simulator.child.pid);
        if (!Number.isNaN(now.cpuS) && !Number.isNaN(now.runS)) lastSimulator[n] = now;
        return lastSimulator[n]!;
      });
      const next: Sample = {
        atS: (performance.now() - startMs) / 1000,
        stored: counters.reduce((sum, counter) => sum + counter.count(), 0),
        service: services.map((service) => readProcess(service.child.pid)),
        broker: readProcess(brokerPid),
        simulators: simulatorReadings,
      };
      const before = samples.at(-1)?.stored ?? 0;
      for (const fraction of [STEADY_FROM, STEADY_TO])
        if (before < fraction * BENCH_TOTAL && next.stored >= fraction * BENCH_TOTAL) next.append = appendTimes();
      samples.push(next);
      return next;
    };
    const sampler = setInterval(sample, SAMPLE_MS);
    let publishedS = Number.NaN;
    try {
      await Promise.all(simulators.map((simulator) => simulator.result));
      publishedS = (performance.now() - startMs) / 1000;
      await waitFor('every window stored', () => sample().stored >= BENCH_TOTAL, { timeoutMs: 600_000, intervalMs: SAMPLE_MS });
    } finally {
      clearInterval(sampler);
    }
    const last = samples.at(-1)!;
    const from = sampleAt(samples, STEADY_FROM);
    const to = sampleAt(samples, STEADY_TO);
    const [appendFrom, appendTo] = await Promise.all([from.append!, to.append!]);
    const steadyS = to.atS - from.atS;
    const steadyWindows = to.stored - from.stored;
    const parts = counters.map((counter) => counter.count());
    const total = parts.reduce((sum, part) => sum + part, 0);
    if (total !== BENCH_TOTAL) throw new Error(`${instances} instances stored ${total} of ${BENCH_TOTAL} windows`);
    return {
      instances,
      windowsPerS: steadyWindows / steadyS,
      steadyS,
      wholeS: last.atS,
      publishedS,
      firstStoredS: samples.find((sample) => sample.stored > 0)!.atS,
      idleCpuPerS,
      service: to.service.map((reading, n) => use(from.service[n]!, reading)),
      appendS: appendTo.map((append, n) => append.seconds - appendFrom[n]!.seconds),
      commits: appendTo.map((append, n) => append.calls - appendFrom[n]!.calls),
      broker: use(from.broker, to.broker),
      simulator: to.simulators.map((reading, n) => use(from.simulators[n]!, reading)).reduce(addUse),
      steadyWindows,
      parts,
    };
  } finally {
    for (const counter of counters) counter.close();
    for (const service of services) await service.kill('SIGTERM');
    await broker.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

const microsPerWindow = (cpuS: number, windows: number) => `${((cpuS / windows) * 1e6).toFixed(0)} µs`;

export async function runScaleBench(): Promise<ScaleRun[]> {
  const runs: ScaleRun[] = [];
  const [load1] = os.loadavg();
  process.stdout.write(
    `machine: ${os.cpus().length} cores, load average ${load1!.toFixed(1)} at start; ${BENCH_TOTAL} windows per run (QoS 1) from ${BENCH_DEVICES} devices ` +
      `in ${BENCH_SIMULATORS} simulator process(es), ${BENCH_INFLIGHT} unacked per device${BENCH_RATE === undefined ? '' : `, paced at ${BENCH_RATE} windows/s`}; figures between ${STEADY_FROM * 100} % and ${STEADY_TO * 100} % stored\n`,
  );
  for (const instances of INSTANCE_COUNTS) {
    const run = await runOnce(instances);
    runs.push(run);
    const serviceCpu = run.service.reduce((sum, s) => sum + s.cpuS, 0);
    const serviceSystem = run.service.reduce((sum, s) => sum + s.systemS, 0);
    const speedUp = run.windowsPerS / runs[0]!.windowsPerS;
    // Each instance's CPU over the windows it stored: with a round-robin share that is 1/N of the steady windows.
    const perInstance = run.service.map((s) => microsPerWindow(s.cpuS, run.steadyWindows / instances));
    const share = (seconds: number) => (seconds / run.steadyS).toFixed(2);
    const main = (s: ProcessUse) => `${share(s.runS)} + ${share(s.waitS)}`;
    const commits = run.commits.reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      [
        `${instances} instance(s): ${run.windowsPerS.toFixed(0)} windows/s stored in the steady state (${run.steadyS.toFixed(1)} s; whole run ${run.wholeS.toFixed(1)} s, first window stored after ${run.firstStoredS.toFixed(1)} s, all published after ${run.publishedS.toFixed(1)} s), ×${speedUp.toFixed(2)} of ${runs[0]!.instances} instance(s)`,
        `  parts ${run.parts.join(' + ')} = ${BENCH_TOTAL} (nothing lost, nothing doubled)`,
        `  CPU per window: service ${microsPerWindow(serviceCpu, run.steadyWindows)}, ${microsPerWindow(serviceSystem, run.steadyWindows)} of it in the kernel (each instance per its own window: ${perInstance.join(' / ')}); ` +
          `broker ${microsPerWindow(run.broker.cpuS, run.steadyWindows)}; simulator ${microsPerWindow(run.simulator.cpuS, run.steadyWindows)}; ` +
          `instances idle: ${run.idleCpuPerS.map((cpu) => `${(cpu * 1000).toFixed(0)} ms/s`).join(' / ')}`,
        `  cores busy: ${share(serviceCpu + run.broker.cpuS + run.simulator.cpuS)} of ${os.cpus().length} (instances ${run.service.map((s) => share(s.cpuS)).join(' / ')}, ` +
          `broker ${share(run.broker.cpuS)}, simulator ${share(run.simulator.cpuS)})`,
        `  main thread on CPU + waiting for one, share of the wall time: instances ${run.service.map(main).join(' / ')}; broker ${main(run.broker)}; simulator ${main(run.simulator)}`,
        `  group commits: ${commits} (${(run.steadyWindows / Math.max(1, commits)).toFixed(0)} windows each), in the store ${run.appendS.map(share).join(' / ')} of the wall time ` +
          `(${run.appendS.map((s, n) => ((s / Math.max(1, run.commits[n]!)) * 1000).toFixed(2)).join(' / ')} ms each, fsync included)`,
      ].join('\n') + '\n',
    );
  }
  return runs;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runScaleBench();
}
