/** The fleet simulator's deterministic device profiles and payloads. */
import { describe, expect, it } from 'vitest';
import { deviceProfile, expectedTotals, simDeviceId, windowPayload } from '../../../../src/sim/fleet/fleet-profile.js';
import { parseJsonMessage } from '../../../../src/protocol/json-message.js';

describe('fleet profile', () => {
  it('is deterministic, valid for the JSON parser, and its totals are the sums of its windows', () => {
    expect(simDeviceId('sim', 7)).toBe('sim-0007');
    const window = windowPayload(3, 11, 1_764_000_000_000, 10_000);
    expect(windowPayload(3, 11, 1_764_000_000_000, 10_000)).toEqual(window);
    expect(parseJsonMessage(JSON.stringify(window))).toMatchObject({ type: 'window', seq: 11, energyUj: window.energy_uj });
    const totals = expectedTotals(3, 0, 3, 10_000);
    const sum = [0, 1, 2].reduce((acc, seq) => acc + windowPayload(3, seq, 0, 10_000).energy_uj, 0);
    expect(totals.energyUj).toBe(sum);
    expect(totals.windows).toBe(3);
    expect(totals.samples).toBe(3_000);
  });
  it('varies duty cycles across devices and windows', () => {
    const duties = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((index) => deviceProfile(index).dutyCycle));
    expect(duties.size).toBe(8);
    const energies = new Set([0, 1, 2, 3].map((seq) => windowPayload(1, seq, 0, 10_000).energy_uj));
    expect(energies.size).toBe(4);
  });
});
