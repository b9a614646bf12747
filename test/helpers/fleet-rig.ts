/**
 * The fleet index's tests' set-up, once: a window at a constant power, and an in-memory store with the live bus,
 * presence, ingest and a fleet index wired as the service wires them (src/server/compose.ts).
 */
import type { EnergyWindow } from '../../src/domain/types.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { FleetIndex, type FleetIndexDeps } from '../../src/service/fleet-index.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** Seconds of a test window. */
export const TEST_WINDOW_S = 10;
/** Samples in a test window (an ADC at 10 Hz). */
export const TEST_WINDOW_SAMPLES = 100;

/** A TEST_WINDOW_S window of `deviceId` at a constant `powerW` (its minimum and maximum), starting at `startMs`. */
export function constantPowerWindow(deviceId: string, seq: number, powerW: number, startMs: number, inferenceCount = 2): EnergyWindow {
  return {
    deviceId,
    seq,
    startMs,
    durationS: TEST_WINDOW_S,
    energyJ: powerW * TEST_WINDOW_S,
    sampleCount: TEST_WINDOW_SAMPLES,
    minPowerW: powerW,
    maxPowerW: powerW,
    inferenceCount,
    source: 'test',
  };
}

export interface FleetRig {
  store: SqliteStore;
  bus: LiveBus;
  presence: PresenceRegistry;
  ingest: IngestService;
  index: FleetIndex;
  /** Stops the index and closes the store. */
  close(): Promise<void>;
}

/** `index` options beyond the store, bus, presence and clock (the catalogue and threshold at least). */
export type FleetRigOptions = Pick<FleetIndexDeps, 'catalogue' | 'onlineThresholdMs'> & Partial<Omit<FleetIndexDeps, 'store' | 'bus' | 'presence' | 'clock'>>;

/** One instance's fleet over an in-memory store: presence changes are published on the bus, as in the service. */
export function fleetRig(clock: () => number, options: FleetRigOptions): FleetRig {
  const store = SqliteStore.open(':memory:');
  const bus = new LiveBus();
  const presence = new PresenceRegistry(clock);
  presence.onChange((deviceId) => bus.publish({ type: 'device', deviceId }));
  const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, clock);
  const index = new FleetIndex({ store, bus, presence, clock, ...options });
  return {
    store,
    bus,
    presence,
    ingest,
    index,
    close: async () => {
      index.stop();
      await store.close();
    },
  };
}
