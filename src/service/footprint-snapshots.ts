/**
 * Periodic footprint snapshots of every device into a time-series database (InfluxDB: measurement `footprint`,
 * docs/influxdb-schema.md), so that dashboards reading only that database (dashboards/grafana/) show footprints too.
 * Each round reads every device's fleet row from the fleet index (computed already: no model call per round) and
 * writes one point per device whose footprint resolves, all at the start of the round's interval. A failed round is counted and logged;
 * the next round writes every device again, so nothing is retried and nothing piles up.
 */
import { counterFamily, Counters, gauge, total } from '../obs/counters.js';
import type { HealthSource, SourceStatus } from '../obs/health-registry.js';
import type { FootprintSnapshot } from '../store/influx/footprint-points.js';
import type { FleetIndex } from './fleet-index.js';
import { StepBudget } from './fleet-step.js';

/**
 * Time between two rounds (ms): the fleet index refreshes accrued footprints at this period (ACCRUED_REFRESH_MS), and
 * a lifetime footprint moves slowly (it follows the average power), so a finer series would repeat itself. 100 000
 * devices are 100 000 points per minute, ≈ 1 700 points/s: a few per cent of one InfluxDB 1.x node.
 */
export const FOOTPRINT_SNAPSHOT_INTERVAL_MS = 60_000;

export const FOOTPRINT_SNAPSHOTS_FAMILY = counterFamily('footprint_snapshots', {
  rounds: total('Snapshot rounds written (every device with a footprint, one point each).'),
  points: total('Footprint points written.'),
  failedRounds: total('Rounds whose write failed (the database unreachable or refusing); the next round writes every device again.'),
  skippedDevices: total('Devices left out of a round because their footprint does not resolve (their fleet row says why).'),
  lastRoundMs: gauge('Time of the last written round (Unix ms); 0 before the first.'),
});

export interface FootprintSnapshotSink {
  writeSnapshots(snapshots: readonly FootprintSnapshot[], atMs: number): Promise<void>;
}

export interface FootprintSnapshotterDeps {
  index: Pick<FleetIndex, 'devices' | 'fleetRow'>;
  sink: FootprintSnapshotSink;
  clock: () => number;
  intervalMs?: number;
  onError?: (error: Error) => void;
}

/**
 * Devices between two looks at the turn's budget: a fleet row costs a few µs, so 64 of them stay far inside the
 * budget's slack, and the clock is read once per 64 rows, not once per row.
 */
export const SNAPSHOT_BUDGET_CHECK_DEVICES = 64;

/**
 * Every device's snapshot from its fleet row at `nowMs`; devices whose footprint does not resolve are left out. The
 * rows are built in steps of the fleet's turn budget (FLEET_STEP_BUDGET_MS): 100 000 devices in one loop were a
 * 25–91 ms task (bench/fleet-edges.ts). The devices are those indexed when the round began.
 */
export async function footprintSnapshots(
  index: Pick<FleetIndex, 'devices' | 'fleetRow'>,
  nowMs: number,
): Promise<{ snapshots: FootprintSnapshot[]; skipped: number }> {
  const snapshots: FootprintSnapshot[] = [];
  let skipped = 0;
  const devices = index.devices().slice();
  const budget = new StepBudget();
  for (let at = 0; at < devices.length; at += 1) {
    if (at % SNAPSHOT_BUDGET_CHECK_DEVICES === 0) await budget.yieldIfDue();
    const row = index.fleetRow(devices[at]!, nowMs);
    if (row.error !== null) {
      skipped += 1;
      continue;
    }
    snapshots.push({
      deviceId: row.id,
      powerKind: row.powerKind,
      powerW: row.powerW,
      totalKgCO2e: row.totalKgCO2e,
      totalMinKgCO2e: row.totalRange.min,
      totalMaxKgCO2e: row.totalRange.max,
      assumedTotalKgCO2e: row.assumedTotalKgCO2e,
      useKgCO2e: row.useKgCO2e,
      accruedKgCO2e: row.accruedKgCO2e,
    });
  }
  return { snapshots, skipped };
}

export class FootprintSnapshotter implements HealthSource {
  readonly family = FOOTPRINT_SNAPSHOTS_FAMILY;
  private readonly count = new Counters(FOOTPRINT_SNAPSHOTS_FAMILY.counters);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastError: string | null = null;
  private readonly intervalMs: number;

  constructor(private readonly deps: FootprintSnapshotterDeps) {
    this.intervalMs = deps.intervalMs ?? FOOTPRINT_SNAPSHOT_INTERVAL_MS;
  }

  /** Rounds every interval, the first one interval after start (the fleet index loads first). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.round(), this.intervalMs);
    this.timer.unref();
  }

  /** No new round; resolves once a round under way has finished. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round now (a round still under way is waited for, not doubled). Never rejects: a failure is counted. */
  round(): Promise<void> {
    this.running ??= this.write().finally(() => (this.running = null));
    return this.running;
  }

  get counters(): Record<keyof typeof FOOTPRINT_SNAPSHOTS_FAMILY.counters, number> {
    return this.count.snapshot();
  }

  status(): SourceStatus {
    return {
      name: 'footprint-snapshots',
      kind: 'store',
      state: this.timer === null ? 'stopped' : this.lastError === null ? 'writing' : 'failing',
      counters: this.count.snapshot(),
      rejected: {},
      lastError: this.lastError,
    };
  }

  private async write(): Promise<void> {
    const nowMs = this.deps.clock();
    // The round's time is the start of its interval: a retry, or another instance in the same interval, overwrites
    // the same points instead of adding a second snapshot of the device.
    const atMs = Math.floor(nowMs / this.intervalMs) * this.intervalMs;
    const { snapshots, skipped } = await footprintSnapshots(this.deps.index, nowMs);
    this.count.add('skippedDevices', skipped);
    try {
      await this.deps.sink.writeSnapshots(snapshots, atMs);
      this.count.add('rounds');
      this.count.add('points', snapshots.length);
      this.count.set('lastRoundMs', atMs);
      this.lastError = null;
    } catch (raw) {
      const error = raw instanceof Error ? raw : new Error(String(raw));
      this.count.add('failedRounds');
      this.lastError = error.message;
      this.deps.onError?.(error);
    }
  }
}
