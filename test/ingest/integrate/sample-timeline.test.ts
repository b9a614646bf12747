/** SampleTimeline: what every sampling driver shares (anchoring, windows, markers). */
import { describe, expect, it } from 'vitest';
import { SampleTimeline } from '../../../src/ingest/integrate/sample-timeline.js';

function timeline(windowUs: number): { timeline: SampleTimeline; power: number[] } {
  const power: number[] = [];
  return {
    timeline: new SampleTimeline({ source: 'test', integrator: { windowUs, maxGapUs: 2_500 }, deviceId: 'dev', power: (_t, w) => power.push(w) }),
    power,
  };
}

describe('SampleTimeline', () => {
  it('a run between two markers is one window, not split by the window timer, with exactly its energy and inferences', () => {
    const { timeline: t } = timeline(200_000);
    for (let k = 0; k <= 1000; k += 1) {
      t.push(k * 1000, 1_000_000, 1_000 + k); // 1 W at 1 kHz; host ms follow device time
      if (k === 100) t.marker(0, true);
      if (k === 600) t.marker(5, false);
    }
    t.reset();
    const windows = t.takeWindows().map((w) => w.draft);
    const run = windows.filter((w) => w.betweenMarkers === true);
    expect(run).toHaveLength(1);
    expect(run[0]).toMatchObject({ durationS: 0.5, inferenceCount: 5 });
    expect(run[0]!.energyJ).toBeCloseTo(0.5, 12);
    // Before the run: 100 ms; after it: the timer's 200 ms windows again.
    expect(windows.map((w) => w.durationS)).toEqual([0.1, 0.5, 0.2, 0.2]);
    expect(windows.reduce((sum, w) => sum + w.energyJ, 0)).toBeCloseTo(1.0, 12);
    expect(windows.reduce((sum, w) => sum + w.inferenceCount, 0)).toBe(5);
  });

  it("windows name the driver's instrument; a run of inferences is stored as span `inferences`, a run without any is not", () => {
    const t = new SampleTimeline({
      source: 'test',
      integrator: { windowUs: 200_000, maxGapUs: 2_500 },
      deviceId: 'dev',
      power: () => {},
      instrument: 'lpm01a',
      runsAreInferenceSpans: true,
    });
    for (let k = 0; k <= 1000; k += 1) {
      t.push(k * 1000, 1_000_000, 1_000 + k);
      if (k === 100) t.marker(0, true);
      if (k === 300) t.marker(4, false);
      if (k === 400) t.marker(0, true);
      if (k === 500) t.marker(0, false);
    }
    t.reset();
    const windows = t.takeWindows().map((w) => w.draft);
    expect(windows.every((w) => w.instrument === 'lpm01a')).toBe(true);
    const runs = windows.filter((w) => w.betweenMarkers === true);
    expect(runs.map((w) => [w.inferenceCount, w.span])).toEqual([
      [4, 'inferences'],
      [0, undefined],
    ]);
    expect(windows.filter((w) => w.betweenMarkers !== true).every((w) => w.span === undefined)).toBe(true);
    // Runs that also hold idle time (a PPK2's edge-to-edge periods) stay time windows.
    const periods = new SampleTimeline({
      source: 'test',
      integrator: { windowUs: 200_000, maxGapUs: 2_500 },
      deviceId: 'dev',
      power: () => {},
      instrument: 'ppk2',
    });
    for (let k = 0; k <= 600; k += 1) {
      periods.push(k * 1000, 1_000_000, 1_000 + k);
      if (k === 100 || k === 300 || k === 500) periods.marker(1, true);
    }
    periods.reset();
    const periodWindows = periods.takeWindows().map((w) => w.draft);
    expect(periodWindows.some((w) => w.betweenMarkers === true && w.inferenceCount === 1)).toBe(true);
    expect(periodWindows.every((w) => w.span === undefined && w.instrument === 'ppk2')).toBe(true);
    // Without an instrument (a TMF1 board), windows name none.
    const { timeline: plain } = timeline(200_000);
    for (let k = 0; k <= 300; k += 1) plain.push(k * 1000, 1_000_000, 1_000 + k);
    plain.reset();
    expect(plain.takeWindows().every((w) => w.draft.instrument === undefined)).toBe(true);
  });

  it('anchors windows to the host time of the first sample, and publishes live power at most every 100 ms', () => {
    const { timeline: t, power } = timeline(1_000_000);
    for (let k = 0; k <= 2000; k += 1) t.push(5_000_000 + k * 1000, 2_000_000, 50_000 + k);
    const first = t.takeWindows()[0]!.draft;
    expect(first.startMs).toBe(50_000);
    expect(first.durationS).toBe(1);
    expect(power.length).toBe(20);
    expect(power.every((w) => w === 2)).toBe(true);
  });
});
