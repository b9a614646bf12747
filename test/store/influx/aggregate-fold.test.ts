/**
 * The canonical aggregate's fold (src/store/influx/aggregate-fold.ts): resuming from any kept prefix gives, bit for bit,
 * the fold from the start, on values where the order of float additions changes the result (associativity is not
 * assumed: the test checks that it does not hold for its values).
 */
import { describe, expect, it } from 'vitest';
import type { DeviceAggregate } from '../../../src/domain/types.js';
import { AGGREGATE_PERIOD_MS, foldParts, periodOf, type PeriodPart } from '../../../src/store/influx/aggregate-fold.js';

const T0 = Date.UTC(2026, 10, 1);

/** Sums chosen so that (a + b) + c differs from a + (b + c) in the last bits: 1e16 against 1, 0.1 + 0.2 + 0.3. */
const ENERGIES = [1e16, 1, 1, -1e16, 0.1, 0.2, 0.3, 3.3e-7, 12345.678, 1e-3];

function part(n: number): PeriodPart {
  const energyJ = ENERGIES[n % ENERGIES.length]!;
  return {
    periodMs: T0 + n * AGGREGATE_PERIOD_MS,
    energyJ,
    observedS: 0.1 * (n + 1),
    windows: n + 1,
    samples: 100 * (n + 1),
    inferences: n % 3,
    minPowerW: n % 4 === 0 ? null : 0.5 / (n + 1),
    maxPowerW: n % 4 === 0 ? null : 1 + (n % 5),
    maxSeq: 10 * n,
    firstSeenMs: T0 + n * AGGREGATE_PERIOD_MS + 7,
    lastSeenMs: T0 + (n + 1) * AGGREGATE_PERIOD_MS - 3,
    energySquaresJ2: energyJ * energyJ,
    energyDurationJS: energyJ * 0.7,
    durationSquaresS2: 0.01 * (n + 1),
    inferenceSpanWindows: n % 2,
    instrumentedS: n % 3 === 0 ? 0.3 : 0,
    instrumentWindows: n % 3 === 0 ? 1 : 0,
  };
}

/** Every field the same, Object.is (so −0 and 0 differ, NaN equals NaN). */
function expectSameBits(a: DeviceAggregate | undefined, b: DeviceAggregate | undefined): void {
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  for (const key of Object.keys(a!) as (keyof DeviceAggregate)[]) {
    if (key === 'instruments') expect(a!.instruments, key).toEqual(b!.instruments);
    else expect(Object.is(a![key], b![key]), `${key}: ${String(a![key])} against ${String(b![key])}`).toBe(true);
  }
  expect(Object.keys(a!).sort()).toEqual(Object.keys(b!).sort());
}

describe('foldParts', () => {
  const parts = Array.from({ length: 10 }, (_, n) => part(n));

  it('uses values on which float addition is not associative (or this test could not tell one fold from another)', () => {
    const sumFromStart = parts.reduce((sum, p) => sum + p.energyJ, 0);
    const sumFromEnd = parts.reduceRight((sum, p) => sum + p.energyJ, 0);
    expect(sumFromStart).not.toBe(sumFromEnd);
    const left = 0.1 + 0.2 + 0.3;
    expect(left).not.toBe(0.1 + (0.2 + 0.3));
  });

  it('resumed from a prefix of any length equals the fold from the start, bit for bit', () => {
    const whole = foldParts('d', undefined, parts, ['ppk2']);
    for (let cut = 0; cut <= parts.length; cut += 1) {
      const prefix = foldParts('d', undefined, parts.slice(0, cut), cut > 0 ? ['ppk2'] : []);
      expectSameBits(foldParts('d', prefix, parts.slice(cut), ['ppk2']), whole);
      // and resumed twice (the kept prefix moving up period by period, as the sync does)
      const again = foldParts('d', foldParts('d', prefix, parts.slice(cut, cut + 1), []), parts.slice(cut + 1), ['ppk2']);
      expectSameBits(again, whole);
    }
  });

  it('adds sums in period order, adds counts, combines extremes skipping nulls', () => {
    const folded = foldParts('d', undefined, parts.slice(0, 3))!;
    expect(folded.energyJ).toBe(1e16 + 1 + 1);
    expect(folded.windows).toBe(1 + 2 + 3);
    expect(folded.minPowerW).toBe(0.5 / 3); // period 0 has none
    expect(folded.maxPowerW).toBe(3);
    expect(folded.firstSeenMs).toBe(T0 + 7);
    expect(folded.lastSeenMs).toBe(T0 + 3 * AGGREGATE_PERIOD_MS - 3);
    expect(folded.maxSeq).toBe(20);
    expect(folded.deviceId).toBe('d');
  });

  it('takes the first period as it is (a −0 stays −0) and answers undefined with nothing to fold', () => {
    expect(foldParts('d', undefined, [])).toBeUndefined();
    const negativeZero = foldParts('d', undefined, [{ ...part(1), energyJ: -0 }])!;
    expect(Object.is(negativeZero.energyJ, -0)).toBe(true);
  });

  it('unions the instruments in their canonical order, and keeps a prefix unchanged', () => {
    const prefix = foldParts('d', undefined, parts.slice(0, 2), ['js220'])!;
    const folded = foldParts('d', prefix, parts.slice(2), ['ppk2', 'js220'])!;
    expect(folded.instruments).toEqual(foldParts('d', undefined, parts, ['js220', 'ppk2'])!.instruments);
    expect(prefix.instruments).toEqual(['js220']);
    expect(prefix.windows).toBe(3);
  });

  it('puts a time in the period that starts at or before it', () => {
    expect(periodOf(T0)).toBe(T0);
    expect(periodOf(T0 + AGGREGATE_PERIOD_MS - 1)).toBe(T0);
    expect(periodOf(T0 + AGGREGATE_PERIOD_MS)).toBe(T0 + AGGREGATE_PERIOD_MS);
  });
});
