import { describe, expect, it } from 'vitest';
import type { InstrumentId } from '../../src/domain/instruments.js';
import { isKnownTo, powerUncertainty, studentT975, type WindowSums } from '../../src/model/power-confidence.js';

interface W {
  energyJ: number;
  durationS: number;
}

function sums(windows: readonly W[], instruments: InstrumentId[] = [], instrumentedS = 0): WindowSums {
  return {
    windows: windows.length,
    energyJ: windows.reduce((s, w) => s + w.energyJ, 0),
    observedS: windows.reduce((s, w) => s + w.durationS, 0),
    energySquaresJ2: windows.reduce((s, w) => s + w.energyJ ** 2, 0),
    energyDurationJS: windows.reduce((s, w) => s + w.energyJ * w.durationS, 0),
    durationSquaresS2: windows.reduce((s, w) => s + w.durationS ** 2, 0),
    instruments,
    instrumentedS,
  };
}

/** Deterministic normal draws (mulberry32 + Box–Muller). */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('power uncertainty (ratio estimator over windows)', () => {
  it('t quantiles: the table, then the expansion continues it smoothly', () => {
    expect(studentT975(1)).toBe(12.706);
    expect(studentT975(30)).toBe(2.042);
    expect(studentT975(31)).toBeCloseTo(2.0395, 3);
    expect(studentT975(120)).toBeCloseTo(1.9799, 3);
    expect(studentT975(1e9)).toBeCloseTo(1.96, 3);
  });

  it('matches the estimator computed window by window', () => {
    const windows = [
      { energyJ: 1.0, durationS: 10 },
      { energyJ: 1.3, durationS: 10 },
      { energyJ: 0.4, durationS: 5 },
      { energyJ: 1.1, durationS: 10 },
    ];
    const u = powerUncertainty(sums(windows))!;
    const p = 3.8 / 35;
    const residuals = windows.reduce((s, w) => s + (w.energyJ - p * w.durationS) ** 2, 0);
    const meanT = 35 / 4;
    const se = Math.sqrt(residuals / (4 * 3)) / meanT;
    expect(u.powerW).toBeCloseTo(p, 15);
    expect(u.standardErrorW).toBeCloseTo(se, 12);
    expect(u.halfWidthW).toBeCloseTo(3.182 * se, 12);
    expect(u.relativeHalfWidth).toBeCloseTo((3.182 * se) / p, 12);
    expect(u.combinedRelative).toBeNull(); // no instrument named
  });

  it('identical windows: zero width; one window: no interval; no windows: null', () => {
    expect(
      powerUncertainty(
        sums([
          { energyJ: 0.1, durationS: 1 },
          { energyJ: 0.1, durationS: 1 },
          { energyJ: 0.2, durationS: 2 },
        ]),
      )!.halfWidthW,
    ).toBe(0);
    expect(powerUncertainty(sums([{ energyJ: 0.1, durationS: 1 }]))).toMatchObject({ windows: 1, standardErrorW: null, relativeHalfWidth: null });
    expect(powerUncertainty(sums([]))).toBeNull();
  });

  it('covers the true mean power in about 95 % of repeated experiments', () => {
    const draw = normals(42);
    const truthW = 0.05;
    let covered = 0;
    const experiments = 2_000;
    for (let e = 0; e < experiments; e += 1) {
      const windows = Array.from({ length: 8 }, () => ({ energyJ: 10 * truthW * (1 + 0.1 * draw()), durationS: 10 }));
      const u = powerUncertainty(sums(windows))!;
      if (Math.abs(u.powerW - truthW) <= u.halfWidthW!) covered += 1;
    }
    expect(covered / experiments).toBeGreaterThan(0.93);
    expect(covered / experiments).toBeLessThan(0.97);
  });

  it('adds a named instrument’s accuracy in quadrature only when it covers every window', () => {
    const windows = [
      { energyJ: 1.0, durationS: 10 },
      { energyJ: 1.02, durationS: 10 },
      { energyJ: 0.98, durationS: 10 },
    ];
    const full = powerUncertainty(sums(windows, ['lpm01a'], 30))!;
    expect(full.instrument).toMatchObject({ ids: ['lpm01a'], relativeAccuracy: 0.02, coveredShare: 1 });
    expect(full.combinedRelative).toBeCloseTo(Math.hypot(full.relativeHalfWidth!, 0.02), 15);
    expect(powerUncertainty(sums(windows, ['lpm01a'], 20))!.combinedRelative).toBeNull();
    // PPK2 has no sourced accuracy: unknown, never counted as zero.
    expect(powerUncertainty(sums(windows, ['lpm01a', 'ppk2'], 30))!.instrument.relativeAccuracy).toBeNull();
  });

  it('the stop rule: known to ±2 % once enough windows agree that well', () => {
    const tight = powerUncertainty(sums(Array.from({ length: 5 }, (_, i) => ({ energyJ: 1 + (i % 2) * 0.01, durationS: 10 }))));
    const loose = powerUncertainty(sums(Array.from({ length: 5 }, (_, i) => ({ energyJ: 1 + (i % 2) * 0.5, durationS: 10 }))));
    expect(isKnownTo(tight, 0.02, 5)).toBe(true);
    expect(isKnownTo(tight, 0.02, 6)).toBe(false);
    expect(isKnownTo(loose, 0.02, 5)).toBe(false);
    expect(isKnownTo(null, 0.02, 1)).toBe(false);
  });
});
