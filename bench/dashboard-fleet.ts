/**
 * The dashboard bench's load generator, in its own process (bench/dashboard.ts spawns it), so that posting windows
 * never competes with the service's event loop. It posts as a fleet of buffering HTTP nodes would: each device
 * uploads its last WINDOWS_PER_REQUEST windows in one request (a duty-cycled radio wakes up, sends what it holds,
 * sleeps), devices round-robin, at most MAX_IN_FLIGHT requests at once over keep-alive connections.
 *
 * Paced (`windowsPerS` given): a device's windows cover its own upload cycle back to back (no overlap, SPEC.md §7) and
 * end at the wall clock, so 10 000 devices at 2 000 windows/s post 5 windows of 5 s every 25 s each.
 * Unpaced: MAX_IN_FLIGHT requests always in flight, each device's 10 s windows running ahead of the wall clock from a
 * minute ago (well within the day of future skew a window may have).
 *
 * Protocol: the config as JSON in argv[2]; the parent sends 'stop' over IPC; the child answers with one
 * `LoadReport` and exits. What it reports is what the service answered 201 to; the bench counts what was stored from
 * the service's own counters.
 */
import { spawn } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Windows per request: a node buffering five windows between two uploads. */
export const WINDOWS_PER_REQUEST = 5;
/** Requests in flight at most: enough to hide the round trip, few enough not to queue thousands of sockets. */
const MAX_IN_FLIGHT = 64;
/** Milliseconds between two pacing ticks. */
const PACE_TICK_MS = 20;
/** Seconds each unpaced window covers (the firmware default). */
const UNPACED_WINDOW_S = 10;
/** Milliseconds a request may take before it counts as failed (an overloaded service is a figure, not a hang). */
const REQUEST_TIMEOUT_MS = 30_000;

export interface LoadConfig {
  url: string;
  token: string;
  /** Devices `benchDeviceId(0)` … `benchDeviceId(devices - 1)`, registered by the bench. */
  devices: number;
  /** Windows per second in total; absent: as fast as MAX_IN_FLIGHT allows. */
  windowsPerS?: number;
}

export interface LoadReport {
  type: 'report';
  /** Windows in requests the service answered 201. */
  posted: number;
  /** Windows in requests that failed (status or network), by status ('network' for no answer). */
  failed: Record<string, number>;
  /** Windows that were due by the pace but not sent, because MAX_IN_FLIGHT requests were already waiting. */
  behind: number;
  requests: number;
  elapsedS: number;
  /** This process's own CPU (user + system) over the run, seconds. */
  cpuS: number;
}

/** The bench's device ids: sim-00000, sim-00001, … */
export function benchDeviceId(index: number): string {
  return `sim-${String(index).padStart(5, '0')}`;
}

function powerOf(id: string): number {
  return 0.0005 + (Number(id.replace(/\D/g, '')) % 50) * 0.0004;
}

async function run(config: LoadConfig, stopped: Promise<void>): Promise<LoadReport> {
  const { windowsPerS } = config;
  const ids = Array.from({ length: config.devices }, (_, i) => benchDeviceId(i));
  const cpuStart = process.cpuUsage();
  const startMs = Date.now();
  const windowS = windowsPerS === undefined ? UNPACED_WINDOW_S : ids.length / windowsPerS;
  const cycleMs = WINDOWS_PER_REQUEST * windowS * 1000;
  const seqs = new Map(ids.map((id) => [id, 0]));
  const nextStartMs = new Map(ids.map((id) => [id, windowsPerS === undefined ? startMs - 60_000 : startMs - cycleMs]));
  const report: LoadReport = { type: 'report', posted: 0, failed: {}, behind: 0, requests: 0, elapsedS: 0, cpuS: 0 };
  let stop = false;
  void stopped.then(() => {
    stop = true;
  });
  let cursor = 0;
  let issued = 0;
  const inFlight = new Set<Promise<void>>();
  const fail = (reason: string): void => {
    report.failed[reason] = (report.failed[reason] ?? 0) + WINDOWS_PER_REQUEST;
  };

  function post(): void {
    const id = ids[cursor]!;
    cursor = (cursor + 1) % ids.length;
    const seq = seqs.get(id)!;
    seqs.set(id, seq + WINDOWS_PER_REQUEST);
    const firstMs = nextStartMs.get(id)!;
    nextStartMs.set(id, firstMs + cycleMs);
    const powerW = powerOf(id);
    const windows = Array.from({ length: WINDOWS_PER_REQUEST }, (_, k) => ({
      seq: seq + k,
      startMs: Math.round(firstMs + k * windowS * 1000),
      durationS: windowS,
      energyJ: powerW * windowS * (0.9 + Math.random() * 0.2),
    }));
    issued += WINDOWS_PER_REQUEST;
    report.requests += 1;
    const request = fetch(`${config.url}/api/devices/${encodeURIComponent(id)}/windows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ windows }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status === 201 || response.status === 200) report.posted += WINDOWS_PER_REQUEST;
        else fail(String(response.status));
      })
      .catch(() => fail('network'))
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }

  while (!stop) {
    if (windowsPerS === undefined) {
      while (inFlight.size < MAX_IN_FLIGHT) post();
      await Promise.race([...inFlight, stopped]);
    } else {
      const due = ((Date.now() - startMs) / 1000) * windowsPerS - issued - report.behind;
      let requests = Math.floor(due / WINDOWS_PER_REQUEST);
      while (requests > 0 && inFlight.size < MAX_IN_FLIGHT) {
        post();
        requests -= 1;
      }
      // What the pace asked but the service could not take in time is not sent later in a burst: it is counted.
      if (requests > 0 && inFlight.size >= MAX_IN_FLIGHT) report.behind += requests * WINDOWS_PER_REQUEST;
      await new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS));
    }
  }
  await Promise.allSettled(inFlight);
  const cpu = process.cpuUsage(cpuStart);
  report.elapsedS = (Date.now() - startMs) / 1000;
  report.cpuS = (cpu.user + cpu.system) / 1e6;
  return report;
}

export interface FleetLoad {
  /** Stop posting, wait for the requests in flight, and return what the load generator saw. */
  stop(): Promise<LoadReport>;
  pid: number;
}

/** Spawn this file as the load generator (`node --import tsx`, its own process and event loop). */
export function startFleetLoad(config: LoadConfig): FleetLoad {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const report = new Promise<LoadReport>((resolve, reject) => {
    child.on('message', (message: LoadReport) => {
      if (message.type === 'report') resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`the load generator exited (${code}) without a report`)));
  });
  report.catch(() => undefined); // read by stop(); an early exit also shows there
  return {
    pid: child.pid ?? -1,
    async stop() {
      if (child.connected) child.send('stop');
      return report;
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (message) => {
      if (message === 'stop') resolve();
    });
    process.on('disconnect', () => resolve());
  });
  run(config, stopped)
    .then((report) => {
      process.send?.(report, () => process.exit(0));
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
