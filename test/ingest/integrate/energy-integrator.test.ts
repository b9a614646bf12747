import { describe, expect, it } from 'vitest';
import { CLOCK_RESET_AFTER_BACKWARDS, EnergyIntegrator } from '../../../src/ingest/integrate/energy-integrator.js';
import type { IntegratedWindow } from '../../../src/ingest/integrate/energy-integrator.js';
import { windowRejection } from '../../../src/domain/window-plausibility.js';

const TOLERANCE = 0.001; // 0.1 % of the exact energy, as the issue asks
const UINT32_RANGE = 2 ** 32;

/** Host receive times of a stream read live: host time follows device time forward (a backwards sample adds none). */
function liveHostMs(samples: ReadonlyArray<readonly [tUs: number, powerUw: number, hostMs?: number]>): number[] {
  let hostMs = 1_764_000_000_000;
  return samples.map(([t], k) => {
    if (k > 0) {
      const deltaUs = (t - samples[k - 1]![0] + UINT32_RANGE) % UINT32_RANGE;
      if (deltaUs < UINT32_RANGE / 2) hostMs += deltaUs / 1000;
    }
    return hostMs;
  });
}

/** Pushes (tUs, powerUw[, hostMs]) samples; without hostMs, as read live (liveHostMs). */
function run(
  integrator: EnergyIntegrator,
  samples: ReadonlyArray<readonly [tUs: number, powerUw: number, hostMs?: number]>,
): { windows: IntegratedWindow[]; verdicts: string[] } {
  const live = liveHostMs(samples);
  const verdicts = samples.map(([t, p, h], k) => integrator.push(t, p, h ?? live[k]!));
  integrator.reset();
  return { windows: integrator.takeWindows(), verdicts };
}

const totalUj = (windows: readonly IntegratedWindow[]): number => windows.reduce((s, w) => s + w.energyUj, 0);

function expectClose(actual: number, exact: number): void {
  expect(Math.abs(actual - exact)).toBeLessThanOrEqual(Math.abs(exact) * TOLERANCE);
}

describe('EnergyIntegrator on analytic traces', () => {
  it('constant power: 1 mW for 25 s at 1 kHz = 25 000 µJ in windows of 10, 10 and 5 s', () => {
    const samples = Array.from({ length: 25_001 }, (_, k) => [k * 1000, 1000] as const);
    const { windows } = run(new EnergyIntegrator({ windowUs: 10_000_000, maxGapUs: 1_000_000 }), samples);
    expectClose(totalUj(windows), 25_000);
    expect(windows.map((w) => w.durationUs)).toEqual([10_000_000, 10_000_000, 5_000_000]);
    expect(windows.map((w) => w.startUs)).toEqual([0, 10_000_000, 20_000_000]);
    expect(windows.reduce((s, w) => s + w.sampleCount, 0)).toBe(25_001);
    expect(windows[0]).toMatchObject({ minPowerUw: 1000, maxPowerUw: 1000 });
  });

  it('square wave, 10 % duty between 10 µW and 20 mW: exact average 2009 µW', () => {
    const periodSamples = 100;
    const samples = Array.from({ length: 60_001 }, (_, k) => [k * 1000, k % periodSamples < 10 ? 20_000 : 10] as const);
    const { windows } = run(new EnergyIntegrator(), samples);
    const exactUj = (0.1 * 20_000 + 0.9 * 10) * 60; // µW × s
    expectClose(totalUj(windows), exactUj);
    expect(windows).toHaveLength(6);
    expect(windows.every((w) => w.minPowerUw === 10 && w.maxPowerUw === 20_000)).toBe(true);
  });

  it('a linear ramp split across a window boundary is assigned exactly to each side', () => {
    // P(t) = t (µW, t in s) from 0 to 20 s sampled every 3 s: boundary at 10 s falls inside a segment.
    const samples = [0, 3, 6, 9, 12, 15, 18, 20].map((s) => [s * 1e6, s] as const);
    const { windows } = run(new EnergyIntegrator({ windowUs: 10_000_000, maxGapUs: 5_000_000 }), samples);
    expect(windows.map((w) => w.energyUj)).toEqual([50, 150]); // ∫0..10 t dt, ∫10..20 t dt
  });

  it('a gap above the limit is not integrated, reported as lost coverage, and closes the window', () => {
    const integrator = new EnergyIntegrator({ windowUs: 10_000_000, maxGapUs: 1_000_000 });
    const before = Array.from({ length: 2001 }, (_, k) => [k * 1000, 500] as const); // 0..2 s
    const after = Array.from({ length: 3001 }, (_, k) => [7_000_000 + k * 1000, 500] as const); // 7..10 s
    const { windows, verdicts } = run(integrator, [...before, ...after]);
    expectClose(totalUj(windows), 500 * 5); // 5 s covered at 500 µW
    expect(verdicts.filter((v) => v === 'gap')).toHaveLength(1);
    expect(integrator.stats.lostUs).toBe(5_000_000);
    expect(integrator.stats.coveredUs).toBe(5_000_000);
    expect(windows.map((w) => [w.startUs, w.durationUs])).toEqual([
      [0, 2_000_000],
      [7_000_000, 3_000_000],
    ]);
  });

  it('handles the 32-bit µs counter wrap without a gap or a rejection', () => {
    const start = UINT32_RANGE - 3_000_000;
    const samples = Array.from({ length: 6001 }, (_, k) => [(start + k * 1000) % UINT32_RANGE, 2000] as const);
    const integrator = new EnergyIntegrator();
    const { windows, verdicts } = run(integrator, samples);
    expect(verdicts.filter((v) => v !== 'accepted' && v !== 'started')).toEqual([]);
    expectClose(totalUj(windows), 2000 * 6);
    expect(integrator.stats.lostUs).toBe(0);
  });

  it.each([
    ['over 2³¹ µs (40 min), formerly read as going backwards', 2_400_000_000],
    ['over 2³² µs (75 min), formerly aliased to a 205 s gap', 4_500_000_000],
    ['over 3 × 2³² µs (4 h)', 14_400_000_000],
  ])('a forward jump of device time %s is a gap of its real length when the host clock saw it pass', (_name, jumpUs) => {
    const integrator = new EnergyIntegrator();
    const t0 = 1_000_000_000;
    const host0 = 1_764_000_000_000;
    const before = Array.from({ length: 1001 }, (_, k) => [t0 + k * 1000, 100, host0 + k] as const);
    const lastUs = t0 + 1_000_000;
    const resumeHostMs = host0 + 1000 + jumpUs / 1000 + 150; // 150 ms of receive latency
    const after = Array.from({ length: 1001 }, (_, k) => [(lastUs + jumpUs + k * 1000) % UINT32_RANGE, 100, resumeHostMs + k] as const);
    const { windows, verdicts } = run(integrator, [...before, ...after]);
    expect(verdicts.filter((v) => v !== 'accepted' && v !== 'started')).toEqual(['gap']);
    expect(integrator.stats.lostUs).toBe(jumpUs);
    expect(integrator.stats.outOfOrder).toBe(0);
    expectClose(totalUj(windows), 100 * 2);
    expect(windows[1]!.startUs - (windows[0]!.startUs + windows[0]!.durationUs)).toBe(jumpUs);
  });

  it('a backlog read at once, then a jump to the live stream: only the gap after reading began is lost coverage', () => {
    // 700 stale samples (0.6–1.3 s) the OS held while nobody read, all received within 7 ms of the open; then the live
    // stream from device time 8.1 s, received 100 ms after the open: 6.8 s passed on the device before we read.
    const host0 = 1_764_000_000_000;
    const backlog = Array.from({ length: 700 }, (_, k) => [600_000 + k * 1000, 100, host0 + k / 100] as const);
    const live = Array.from({ length: 3000 }, (_, k) => [8_100_000 + k * 1000, 100, host0 + 100 + k] as const);
    const integrator = new EnergyIntegrator();
    const { windows } = run(integrator, [...backlog, ...live]);
    expect(integrator.stats.gaps).toBe(1);
    expect(integrator.stats.lostUs).toBe(100_000);
    expect(integrator.stats.lostBeforeReadingUs).toBe(6_801_000 - 100_000);
    expect(integrator.stats.coveredUs).toBe(699_000 + 2_999_000);
    expectClose(totalUj(windows), 100 * (0.699 + 2.999));
  });

  it('the live stream queued behind the backlog: its earliest arrival-minus-device-time, not its first arrival, dates the loss', () => {
    // Reading the backlog took 30 ms; the device resumed 2 ms after the open, so its first live lines waited behind
    // the backlog and arrived 28 ms late, then the reader caught up (10 lines per ms).
    const host0 = 1_764_000_000_000;
    const backlog = Array.from({ length: 700 }, (_, k) => [600_000 + k * 1000, 100, host0 + (k * 30) / 700] as const);
    const live = Array.from({ length: 2000 }, (_, k) => [8_100_000 + k * 1000, 100, Math.max(host0 + 30 + k / 10, host0 + 2 + k)] as const);
    const integrator = new EnergyIntegrator();
    run(integrator, [...backlog, ...live]);
    expect(integrator.stats.gaps).toBe(1);
    expect(integrator.stats.lostUs).toBe(2_000);
    expect(integrator.stats.lostUs + integrator.stats.lostBeforeReadingUs).toBe(8_100_000 - 1_299_000);
  });

  it('a gap in a live stream is lost coverage in full', () => {
    const integrator = new EnergyIntegrator();
    const samples = [...Array.from({ length: 3001 }, (_, k) => k * 1000), ...Array.from({ length: 1001 }, (_, k) => 5_000_000 + k * 1000)];
    run(
      integrator,
      samples.map((t) => [t, 100] as const),
    );
    expect(integrator.stats).toMatchObject({ gaps: 1, lostUs: 2_000_000, lostBeforeReadingUs: 0 });
  });

  it('without a long host silence, a difference of 2³¹ µs or more is still time going backwards', () => {
    const integrator = new EnergyIntegrator();
    const host = 1_764_000_000_000;
    integrator.push(3_000_000_000, 100, host);
    // 2.4e9 µs "forward" but the host saw 1 ms pass: the device clock went backwards (0.5e9 is 2.5e9 µs behind).
    expect(integrator.push((3_000_000_000 + 2_400_000_000) % UINT32_RANGE, 100, host + 1)).toBe('out_of_order');
    // A long host silence that matches no forward reading (the clock restarted) leaves the raw rule in charge.
    expect(integrator.push(1_000_000_000, 100, host + 30 * 60_000)).toBe('out_of_order');
  });

  it('rejects and counts out-of-order and repeated samples without changing the energy', () => {
    const integrator = new EnergyIntegrator();
    const clean = Array.from({ length: 1001 }, (_, k) => [k * 1000, 100] as const);
    const dirty = [...clean.slice(0, 500), [499_000, 9e6] as const, [300_000, 9e6] as const, ...clean.slice(500)];
    const { windows, verdicts } = run(integrator, dirty);
    expect(verdicts.filter((v) => v === 'repeated')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'out_of_order')).toHaveLength(1);
    expect(integrator.stats).toMatchObject({ repeated: 1, outOfOrder: 1 });
    expectClose(totalUj(windows), 100);
  });

  it(`treats ${CLOCK_RESET_AFTER_BACKWARDS} consecutive backwards samples as a device clock restart`, () => {
    const integrator = new EnergyIntegrator();
    const first = Array.from({ length: 2001 }, (_, k) => [5_000_000 + k * 1000, 100] as const);
    const second = Array.from({ length: 2001 }, (_, k) => [k * 1000, 100] as const);
    const { windows, verdicts } = run(integrator, [...first, ...second]);
    expect(verdicts.filter((v) => v === 'out_of_order')).toHaveLength(CLOCK_RESET_AFTER_BACKWARDS - 1);
    expect(verdicts.filter((v) => v === 'clock_reset')).toHaveLength(1);
    // the rejected samples are the first 15 of the new timeline: 2 s + (2 s − 15 ms) integrated
    expectClose(totalUj(windows), 100 * (4 - 0.015));
    for (let i = 1; i < windows.length; i += 1) {
      expect(windows[i]!.startUs).toBeGreaterThanOrEqual(windows[i - 1]!.startUs + windows[i - 1]!.durationUs);
    }
  });

  it('a window holds the interpolated boundary power in its min/max, so a correct window passes the plausibility check', () => {
    // A 1 Hz sampler whose power steps between 10 µW and 1 mW every 10 s, in 9.5 s windows: the first boundary falls
    // halfway up the ramp from sample 9 to sample 10, and the ramp's energy up to the boundary is inside window 0.
    const samples = Array.from({ length: 80 }, (_, k) => [k * 1_000_000, Math.floor(k / 10) % 2 === 0 ? 10 : 1000] as const);
    const { windows } = run(new EnergyIntegrator({ windowUs: 9_500_000, maxGapUs: 5_000_000 }), samples);
    expect(windows.length).toBeGreaterThanOrEqual(8);
    const rejected = windows.filter((w) => {
      const draft = {
        deviceId: 'd',
        seq: 0,
        startMs: Date.UTC(2025, 0, 1) + w.startUs / 1000,
        durationS: w.durationUs / 1e6,
        energyJ: w.energyUj / 1e6,
        sampleCount: w.sampleCount,
        minPowerW: w.minPowerUw === null ? null : w.minPowerUw / 1e6,
        maxPowerW: w.maxPowerUw === null ? null : w.maxPowerUw / 1e6,
        inferenceCount: 0,
        source: 'test',
      };
      return windowRejection(draft, Date.UTC(2025, 0, 2)) !== null;
    });
    expect(rejected).toEqual([]);
    // The boundary at 9.5 s lies halfway up the ramp from 10 µW (9 s) to 1000 µW (10 s): 505 µW, in both windows.
    expect(windows[0]).toMatchObject({ minPowerUw: 10, maxPowerUw: 505 });
    expect(windows[1]).toMatchObject({ minPowerUw: 505, maxPowerUw: 1000 });
    for (const w of windows) {
      const averageUw = (w.energyUj / w.durationUs) * 1e6;
      expect(averageUw).toBeGreaterThanOrEqual(w.minPowerUw!);
      expect(averageUw).toBeLessThanOrEqual(w.maxPowerUw!);
    }
  });

  it('a window crossed by one segment (slower sampler than windows) still has min/max', () => {
    const { windows } = run(new EnergyIntegrator({ windowUs: 1_000_000, maxGapUs: 5_000_000 }), [
      [0, 0],
      [3_000_000, 3000],
    ]);
    expect(windows.map((w) => [w.sampleCount, w.minPowerUw, w.maxPowerUw])).toEqual([
      [1, 0, 1000],
      [0, 1000, 2000],
      [0, 2000, 3000],
    ]);
  });

  it('counts inference ends in the open window', () => {
    const integrator = new EnergyIntegrator({ windowUs: 1_000_000, maxGapUs: 1_000_000 });
    integrator.push(0, 1, 0);
    integrator.countInference();
    integrator.push(500_000, 1, 500);
    integrator.countInference();
    integrator.push(1_500_000, 1, 1500);
    integrator.countInference();
    integrator.reset();
    expect(integrator.takeWindows().map((w) => w.inferenceCount)).toEqual([2, 1]);
  });

  it('rejects a non-positive configuration', () => {
    expect(() => new EnergyIntegrator({ windowUs: 0, maxGapUs: 1 })).toThrow(RangeError);
  });
});
