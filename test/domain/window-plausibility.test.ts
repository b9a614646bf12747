import { describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../src/domain/types.js';
import { windowRejection, MIN_WINDOW_START_MS } from '../../src/domain/window-plausibility.js';

const NOW_MS = Date.parse('2026-11-25T12:00:00Z');
const good: EnergyWindow = {
  deviceId: 'd',
  seq: 0,
  startMs: NOW_MS - 10_000,
  durationS: 10,
  energyJ: 0.272,
  sampleCount: 1000,
  minPowerW: 0.001,
  maxPowerW: 0.09,
  inferenceCount: 5,
  source: 't',
};

describe('window plausibility (shared by HTTP, serial and MQTT)', () => {
  it('accepts a correct window, including the rounding of integer µW and µJ at the edges', () => {
    expect(windowRejection(good, NOW_MS)).toBeNull();
    expect(windowRejection({ ...good, energyJ: 0.0272, minPowerW: 0.00272, maxPowerW: 0.00272 }, NOW_MS)).toBeNull();
    expect(windowRejection({ ...good, energyJ: 0.02746, minPowerW: 0.00272, maxPowerW: 0.00272 }, NOW_MS)).toBeNull(); // +0.96 %
    expect(windowRejection({ ...good, startMs: MIN_WINDOW_START_MS }, NOW_MS)).toBeNull();
    expect(windowRejection({ ...good, startMs: NOW_MS + 86_400_000 - 10_000 }, NOW_MS)).toBeNull(); // ends exactly at now + the skew
    expect(windowRejection({ ...good, sampleCount: 1, minPowerW: 5, maxPowerW: 5 }, NOW_MS)).toBeNull(); // one sample: no spread to check
  });

  it.each([
    ['power above 100 W', { energyJ: 1001, durationS: 10, maxPowerW: null, minPowerW: null }, 'power_out_of_range'],
    ['start at 0', { startMs: 0 }, 'start_before_2000'],
    ['start in µs', { startMs: NOW_MS * 1000 }, 'start_in_future'],
    [
      'start just inside the skew, end a day later (issue 8 #14)',
      { startMs: NOW_MS + 23 * 3_600_000, durationS: 86_400, energyJ: 86.4, minPowerW: null, maxPowerW: null },
      'end_in_future',
    ],
    ['end 1 ms beyond the skew', { startMs: NOW_MS + 86_400_000 - 10_000 + 1 }, 'end_in_future'],
    ['min above max', { minPowerW: 0.5, maxPowerW: 0.1 }, 'min_above_max'],
    ['average 1000× the max (mJ read as µJ)', { energyJ: 272 * 10, maxPowerW: 0.09, minPowerW: 0.001 }, 'power_out_of_range'],
    ['average above max by 2 %', { energyJ: 0.9 * 1.02 }, 'average_outside_min_max'],
    ['average below min by 2 %', { energyJ: 0.01 * 0.98 }, 'average_outside_min_max'],
  ] as const)('rejects %s', (_name, patch, reason) => {
    expect(windowRejection({ ...good, ...patch }, NOW_MS)?.reason).toBe(reason);
  });

  it.each([
    ['NaN energy', { energyJ: Number.NaN }, /energyJ must be finite/],
    ['an infinite duration', { durationS: Number.POSITIVE_INFINITY }, /durationS must be finite/],
    ['a fractional sample count', { sampleCount: 1.5 }, /sampleCount must be a non-negative safe integer/],
    ['no device id', { deviceId: '' }, /deviceId must be a non-empty string/],
  ] as const)('refuses a window with %s as malformed (no comparison with NaN can refuse it)', (_name, patch, detail) => {
    const rejection = windowRejection({ ...good, ...patch }, NOW_MS);
    expect(rejection?.reason).toBe('malformed');
    expect(rejection?.detail).toMatch(detail);
  });
});
