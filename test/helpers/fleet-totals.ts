/** Compare what a store holds with the exact sums of what the simulator published. */
import { expect } from 'vitest';
import { expectedTotals, simDeviceId } from '../../src/sim/fleet/fleet-profile.js';
import type { DeviceAggregate } from '../../src/domain/types.js';

export interface PublishedFleet {
  devices: number;
  count: number;
  firstSeq: number;
  windowMs: number;
  devicePrefix: string;
}

export interface Totals {
  windows: number;
  energyUj: number;
  samples: number;
  inferences: number;
}

export function totalsOf(aggregate: DeviceAggregate | undefined): Totals {
  if (aggregate === undefined) return { windows: 0, energyUj: 0, samples: 0, inferences: 0 };
  // Energy is stored in J as float sums of µJ integers × 1e-6; rounding to whole µJ recovers the exact integer sum.
  return { windows: aggregate.windows, energyUj: Math.round(aggregate.energyJ * 1e6), samples: aggregate.samples, inferences: aggregate.inferences };
}

export function addTotals(a: Totals, b: Totals): Totals {
  return { windows: a.windows + b.windows, energyUj: a.energyUj + b.energyUj, samples: a.samples + b.samples, inferences: a.inferences + b.inferences };
}

/** Every device's stored totals equal the sums of what was published, exactly. */
export async function expectFleetStored(fleet: PublishedFleet, totalsFor: (deviceId: string) => Promise<Totals>): Promise<void> {
  for (let index = 1; index <= fleet.devices; index += 1) {
    const deviceId = simDeviceId(fleet.devicePrefix, index);
    const expected = expectedTotals(index, fleet.firstSeq, fleet.count, fleet.windowMs);
    const actual = await totalsFor(deviceId);
    expect({ deviceId, ...actual }).toEqual({
      deviceId,
      windows: expected.windows,
      energyUj: expected.energyUj,
      samples: expected.samples,
      inferences: expected.inferences,
    });
  }
}
