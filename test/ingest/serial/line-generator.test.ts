import { describe, expect, it } from 'vitest';
import { LineSession } from '../../../src/ingest/serial/line-session.js';
import type { WindowDraft } from '../../../src/ingest/serial/window-delivery.js';
import { LineGenerator } from '../../../src/sim/serial/line-generator.js';
import { DEFAULT_PROFILE } from '../../../src/sim/serial/power-profile.js';

describe('LineGenerator counts what a perfect receiver integrates', () => {
  it('sent energy and covered time match a LineSession fed the same lines, with corrupted lines and skipped writes', () => {
    // 5 % corrupted lines: one lost line is bridged, two in a row (3 periods > 2.5) are a gap, on both sides.
    const generator = new LineGenerator({ ...DEFAULT_PROFILE, burstUs: 2000, dutyCycle: 0.25, checksumErrorRate: 0.05, noiseUa: 3, seed: 7 });
    let clockMs = 1_764_000_000_000;
    const windows: WindowDraft[] = [];
    const session = new LineSession(
      { source: 'serial:test', integrator: { windowUs: 1_000_000, maxGapUs: 1_000_000 }, fixedDeviceId: null, nowMs: () => clockMs },
      { device: () => undefined, windows: (w) => windows.push(...w), power: () => undefined },
    );
    for (let write = 0; write < 60; write += 1) {
      if (write % 7 === 3) {
        generator.skip(100); // a write the link lost
      } else {
        for (const line of generator.next(100)) session.handleLine(line);
      }
      clockMs += 100; // read live
    }
    session.end();
    const sent = generator.counters;
    expect(sent.corruptedLines).toBeGreaterThan(100);
    expect(session.rejected).toEqual({ bad_checksum: sent.corruptedLines });
    expect(session.counters.gaps).toBeGreaterThan(8);
    expect(windows.reduce((s, w) => s + w.energyJ, 0) * 1e6).toBeCloseTo(sent.sentEnergyUj, 6);
    expect(session.counters.coveredUs).toBe(sent.sentCoveredUs);
  });
});
