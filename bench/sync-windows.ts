import type { DeviceAggregate } from '../src/domain/types.js';
import type { StoredWindow } from '../src/store/window-store.js';

/** How the influx-sync benches' windows differ: where the series starts, their spacing, and two variations. */
export interface SyncWindowShape {
  t0Ms: number;
  spacingMs: number;
  /** Add seq · 1e-9 J to each window's energy, so that sums depend on the order of their additions. */
  drift?: boolean;
  /** Name an instrument (ppk2) on every this-many windows. */
  instrumentEvery?: number;
}

/** Window `seq` of a device in the influx-sync benches: 10 s, about 1 mW, 5 inferences, sent over HTTP. */
export function syncWindow(deviceId: string, seq: number, shape: SyncWindowShape): StoredWindow {
  return {
    deviceId,
    seq,
    seqUse: 0,
    startMs: shape.t0Ms + seq * shape.spacingMs,
    durationS: 10,
    energyJ: 0.001 * (1 + (seq % 7)) + (shape.drift === true ? seq * 1e-9 : 0),
    sampleCount: 1000,
    minPowerW: 0.00005,
    maxPowerW: 0.0003,
    inferenceCount: 5,
    source: 'http',
    ...(shape.instrumentEvery !== undefined && seq % shape.instrumentEvery === 0 ? { instrument: 'ppk2' as const } : {}),
  };
}

/**
 * Throws unless every device's totals as `store` serves them equal `writer`'s fresh read, bit for bit (Object.is, field
 * by field; instruments are a set and not compared).
 */
export async function checkServedBitForBit(
  store: { getAggregate(id: string): Promise<DeviceAggregate | undefined> },
  writer: { aggregates(ids: readonly string[]): Promise<Map<string, DeviceAggregate>> },
  ids: string[],
): Promise<void> {
  const truth = await writer.aggregates(ids);
  for (const id of ids) {
    const served = await store.getAggregate(id);
    const fresh = truth.get(id);
    if (served === undefined || fresh === undefined) throw new Error(`${id}: served ${String(served)}, fresh ${String(fresh)}`);
    for (const key of Object.keys(fresh) as (keyof DeviceAggregate)[]) {
      if (key !== 'instruments' && !Object.is(served[key], fresh[key]))
        throw new Error(`${id} ${key}: served ${String(served[key])}, fresh ${String(fresh[key])}`);
    }
  }
}
