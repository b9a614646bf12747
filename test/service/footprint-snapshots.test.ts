/** Footprint snapshot rounds: every resolving device's fleet row as one snapshot, at the start of the interval; failures counted. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { StoreUnavailableError } from '../../src/domain/errors.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { FleetIndex } from '../../src/service/fleet-index.js';
import { FLEET_STEP_BUDGET_MS } from '../../src/service/fleet-step.js';
import {
  FOOTPRINT_SNAPSHOT_INTERVAL_MS,
  FootprintSnapshotter,
  footprintSnapshots,
  SNAPSHOT_BUDGET_CHECK_DEVICES,
  type FootprintSnapshotSink,
} from '../../src/service/footprint-snapshots.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import type { FootprintSnapshot } from '../../src/store/influx/footprint-points.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const catalogue = buildCatalogue();
const T0 = 1_764_000_000_000;

class RecordingSink implements FootprintSnapshotSink {
  rounds: { snapshots: FootprintSnapshot[]; atMs: number }[] = [];
  failNext = false;
  writeSnapshots(snapshots: readonly FootprintSnapshot[], atMs: number): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new StoreUnavailableError('InfluxDB write: ECONNREFUSED'));
    }
    this.rounds.push({ snapshots: [...snapshots], atMs });
    return Promise.resolve();
  }
}

async function setup() {
  let nowMs = T0 + 12_345;
  const clock = () => nowMs;
  const store = SqliteStore.open(':memory:');
  await store.createDevice({ id: 'measured-1', spec: SEED_DEFAULT_SPEC, deployedAt: new Date(T0 - 86_400_000).toISOString() });
  await store.createDevice({ id: 'assumed-1', spec: SEED_DEFAULT_SPEC });
  // A spec that no longer resolves (a preset since removed): its row has an error and the round leaves it out.
  await store.createDevice({ id: 'broken-1', spec: { ...SEED_DEFAULT_SPEC, system: 'no-such-preset' } });
  await store.appendWindows([
    {
      deviceId: 'measured-1',
      seq: 0,
      startMs: T0,
      durationS: 10,
      energyJ: 0.272,
      sampleCount: 100,
      minPowerW: 0.02,
      maxPowerW: 0.03,
      inferenceCount: 2,
      source: 'test',
    },
  ]);
  const index = new FleetIndex({ store, catalogue, bus: new LiveBus(), presence: new PresenceRegistry(clock), clock, onlineThresholdMs: 60_000 });
  await index.start();
  await index.current();
  const sink = new RecordingSink();
  const errors: Error[] = [];
  const snapshotter = new FootprintSnapshotter({ index, sink, clock, onError: (error) => errors.push(error) });
  return { store, index, sink, snapshotter, errors, advance: (ms: number) => (nowMs += ms) };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await cleanup?.();
  cleanup = null;
});

describe('FootprintSnapshotter', () => {
  it('snapshots every device as its fleet row says, at the start of the interval', async () => {
    const { store, index, sink, snapshotter } = await setup();
    cleanup = () => store.close();
    await snapshotter.round();
    expect(sink.rounds).toHaveLength(1);
    const [round] = sink.rounds;
    expect(round?.atMs).toBe(Math.floor((T0 + 12_345) / FOOTPRINT_SNAPSHOT_INTERVAL_MS) * FOOTPRINT_SNAPSHOT_INTERVAL_MS);
    const ids = index.devices().map((d) => d.id);
    expect(round?.snapshots.map((s) => s.deviceId).sort()).toEqual(ids.filter((id) => index.get(id)?.error === null).sort());
    for (const snapshot of round?.snapshots ?? []) {
      const row = index.fleetRow(index.get(snapshot.deviceId)!, T0 + 12_345);
      expect(snapshot).toEqual({
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
    const measured = round?.snapshots.find((s) => s.deviceId === 'measured-1');
    expect(measured?.powerKind).toBe('measured');
    expect(measured?.powerW).toBeCloseTo(0.0272, 12);
    expect(measured?.accruedKgCO2e).toBeGreaterThan(0);
    expect(round?.snapshots.find((s) => s.deviceId === 'assumed-1')?.accruedKgCO2e).toBeNull();
    expect(index.get('broken-1')?.error).not.toBeNull();
    expect(round?.snapshots.map((s) => s.deviceId)).not.toContain('broken-1');
    expect(snapshotter.counters.skippedDevices).toBe(1);
    expect(snapshotter.counters).toMatchObject({ rounds: 1, points: round?.snapshots.length, failedRounds: 0, lastRoundMs: round?.atMs });
  });

  it('counts a failed round, keeps its error in health, and the next round writes every device again', async () => {
    const { store, sink, snapshotter, errors, advance } = await setup();
    cleanup = () => store.close();
    sink.failNext = true;
    await snapshotter.round();
    expect(snapshotter.counters.failedRounds).toBe(1);
    expect(snapshotter.counters.rounds).toBe(0);
    expect(snapshotter.status().lastError).toMatch(/ECONNREFUSED/);
    expect(errors).toHaveLength(1);
    advance(FOOTPRINT_SNAPSHOT_INTERVAL_MS);
    await snapshotter.round();
    expect(sink.rounds).toHaveLength(1);
    expect(sink.rounds[0]?.snapshots.length).toBe(snapshotter.counters.points);
    expect(snapshotter.status().lastError).toBeNull();
  });

  it('runs a round every interval once started, never two at once, and none after stop', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { store, sink, snapshotter } = await setup();
    cleanup = () => store.close();
    snapshotter.start();
    expect(sink.rounds).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(FOOTPRINT_SNAPSHOT_INTERVAL_MS);
    expect(sink.rounds).toHaveLength(1);
    const [a, b] = [snapshotter.round(), snapshotter.round()];
    expect(a).toBe(b);
    await a;
    expect(sink.rounds).toHaveLength(2);
    await snapshotter.stop();
    await vi.advanceTimersByTimeAsync(3 * FOOTPRINT_SNAPSHOT_INTERVAL_MS);
    expect(sink.rounds).toHaveLength(2);
    expect(snapshotter.status().state).toBe('stopped');
  });

  it('builds a round in steps of the turn budget, giving the event loop back between them', async () => {
    const { store, index } = await setup();
    cleanup = () => store.close();
    const [row] = index.devices().filter((d) => d.error === null);
    // 8 × SNAPSHOT_BUDGET_CHECK_DEVICES rows of an eighth of a budget each: 8 budgets of work, which one task would do
    // without a turn between; in steps, every look at the budget after the first finds it spent.
    const rowMs = FLEET_STEP_BUDGET_MS / 8;
    const devices = Array.from({ length: 8 * SNAPSHOT_BUDGET_CHECK_DEVICES }, () => row!);
    // The budget reads performance.now: each row moves it on by rowMs (no real busy wait).
    let fakeNowMs = performance.now();
    vi.spyOn(performance, 'now').mockImplementation(() => fakeNowMs);
    const slowIndex = {
      devices: () => devices,
      fleetRow: (device: (typeof devices)[number], nowMs: number) => {
        fakeNowMs += rowMs;
        return index.fleetRow(device, nowMs);
      },
    };
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const { snapshots, skipped } = await footprintSnapshots(slowIndex, T0 + 12_345);
    ticking = false;
    expect(snapshots).toHaveLength(devices.length);
    expect(skipped).toBe(0);
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});
