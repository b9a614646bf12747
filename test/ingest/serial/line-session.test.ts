import { describe, expect, it } from 'vitest';
import { LineSession, PRE_HELLO_MAX_LINES, SAMPLE_WINDOW_HOLD_US } from '../../../src/ingest/serial/line-session.js';
import type { WindowDraft } from '../../../src/ingest/serial/window-delivery.js';
import { SeqAllocator, epochMsSeqStart, storeSeqStart } from '../../../src/ingest/serial/seq-allocator.js';
import type { DeviceHello } from '../../../src/ingest/window-sink.js';
import { LineGenerator } from '../../../src/sim/serial/line-generator.js';
import { DEFAULT_PROFILE } from '../../../src/sim/serial/power-profile.js';
import { formatEvent, formatHello, formatSample, formatWindow } from '../../../src/protocol/line-format.js';

const T0_MS = 1_764_000_000_000;

function session(fixedDeviceId: string | null = null, nowMs: () => number = () => T0_MS): { s: LineSession; devices: DeviceHello[]; windows: WindowDraft[] } {
  const devices: DeviceHello[] = [];
  const windows: WindowDraft[] = [];
  const s = new LineSession(
    { source: 'serial:test', integrator: { windowUs: 1_000_000, maxGapUs: 100_000 }, fixedDeviceId, nowMs },
    { device: (h) => devices.push(h), windows: (w) => windows.push(...w), power: () => undefined },
  );
  return { s, devices, windows };
}

const hello = (deviceId: string, samplePeriodUs = 1000): string => formatHello({ deviceId, board: 'b', firmware: 'f', supplyMv: 3300, samplePeriodUs });
const window = (seq: number): string => formatWindow({ seq, durationMs: 10_000, energyUj: 5_000, samples: 100, minPowerUw: 1, maxPowerUw: 900, inferences: 2 });

describe('LineSession', () => {
  it('maps device time to wall time from the first sample and fills every EnergyWindow field', () => {
    const { s, windows } = session();
    s.handleLine(hello('dev-a'));
    for (let k = 0; k <= 1500; k += 1) s.handleLine(formatSample(k * 1000, 3300, 1000));
    s.handleLine(formatEvent(1_500_000, 'end', 1));
    s.end();
    expect(windows).toEqual([
      {
        deviceId: 'dev-a',
        startMs: 1_764_000_000_000,
        durationS: 1,
        energyJ: 3.3e-3,
        sampleCount: 1000,
        minPowerW: 3.3e-3,
        maxPowerW: 3.3e-3,
        inferenceCount: 0,
        source: 'serial:test',
      },
      {
        deviceId: 'dev-a',
        startMs: 1_764_000_001_000,
        durationS: 0.5,
        energyJ: 1.65e-3,
        sampleCount: 501,
        minPowerW: 3.3e-3,
        maxPowerW: 3.3e-3,
        inferenceCount: 1,
        source: 'serial:test',
      },
    ]);
  });

  it('uses device windows (W) for energy once they appear, rejecting repeats and counting lost ones', () => {
    const { s, windows } = session();
    s.handleLine(hello('node-w'));
    s.handleLine(formatSample(0, 3300, 1000));
    s.handleLine(formatSample(1000, 3300, 1000));
    s.handleLine(window(7));
    s.handleLine(window(7)); // repeated
    s.handleLine(window(10)); // 8 and 9 lost
    for (let k = 2; k < 3000; k += 1) s.handleLine(formatSample(k * 1000, 3300, 1000)); // live power only now
    s.end();
    // What the samples integrated before the first W lies inside its 10 s: superseded, not stored (SPEC §2).
    expect(windows.map((w) => [w.durationS, Number(w.energyJ.toPrecision(12)), w.sampleCount])).toEqual([
      [10, 0.005, 100],
      [10, 0.005, 100],
    ]);
    expect(windows[0]!.startMs).toBe(1_764_000_000_000 - 10_000);
    expect(s.rejected).toEqual({ repeated: 1 });
    expect(s.counters).toMatchObject({ deviceWindows: 2, deviceWindowsLost: 2, sampleWindowsSuperseded: 1 });
  });

  it.each([
    ['1 s sample windows (measure)', 1_000_000],
    ['10 s sample windows (serve)', 10_000_000],
  ])("a board streaming S and W lines: stored energy is exactly the W windows' sum, with %s", (_name, windowUs) => {
    const generator = new LineGenerator({ ...DEFAULT_PROFILE, deviceId: 'sw-1', burstUs: 20_000, dutyCycle: 0.2, deviceWindowUs: 5_000_000 });
    let clockMs = T0_MS;
    const windows: WindowDraft[] = [];
    const s = new LineSession(
      { source: 'serial:test', integrator: { windowUs, maxGapUs: 1_000_000 }, fixedDeviceId: null, nowMs: () => clockMs },
      { device: () => undefined, windows: (w) => windows.push(...w), power: () => undefined },
    );
    for (let chunk = 0; chunk < 160; chunk += 1) {
      for (const line of generator.next(100)) s.handleLine(line); // 16 s
      clockMs += 100;
    }
    s.end();
    const sent = generator.counters;
    expect(sent.deviceWindowsSent).toBe(3);
    expect(windows).toHaveLength(3);
    expect(windows.reduce((sum, w) => sum + w.energyJ, 0)).toBe(sent.sentWindowEnergyUj / 1e6);
    expect(windows.reduce((sum, w) => sum + w.inferenceCount, 0)).toBe(sent.sentWindowInferences);
    expect(s.counters.sampleWindowsSuperseded).toBeGreaterThan(0);
    expect(s.rejected).toEqual({});
  });

  it(`holds sample windows (counted) for the first ${SAMPLE_WINDOW_HOLD_US / 1e6} s of device time, then delivers them`, () => {
    let clockMs = T0_MS;
    const { s, windows } = session(null, () => clockMs);
    s.handleLine(hello('held'));
    for (let k = 0; k < 11_500; k += 1) {
      clockMs = T0_MS + k;
      s.handleLine(formatSample(k * 1000, 3300, 1000));
    }
    expect(windows).toEqual([]);
    expect(s.counters).toMatchObject({ heldWindows: 11, heldCoveredUs: 11_000_000, windows: 0, coveredUs: 0 });
    expect(s.counters.heldEnergyUj).toBeCloseTo(11 * 3300, 6);
    for (let k = 11_500; k <= 12_000; k += 1) {
      clockMs = T0_MS + k;
      s.handleLine(formatSample(k * 1000, 3300, 1000));
    }
    expect(windows).toHaveLength(12); // no W in 12 s: samples are the energy source
    expect(s.counters).toMatchObject({ heldWindows: 0, heldEnergyUj: 0, heldCoveredUs: 0, windows: 12, coveredUs: 12_000_000 });
  });

  it('a W later than the hold finds samples stored: it is refused overlaps_samples, and the W windows after it are stored', () => {
    const generator = new LineGenerator({ ...DEFAULT_PROFILE, deviceId: 'sw-slow', deviceWindowUs: 20_000_000 });
    let clockMs = T0_MS;
    const windows: WindowDraft[] = [];
    const s = new LineSession(
      { source: 'serial:test', integrator: { windowUs: 1_000_000, maxGapUs: 1_000_000 }, fixedDeviceId: null, nowMs: () => clockMs },
      { device: () => undefined, windows: (w) => windows.push(...w), power: () => undefined },
    );
    for (let chunk = 0; chunk < 610; chunk += 1) {
      for (const line of generator.next(100)) s.handleLine(line); // 61 s: W at 20, 40 and 60 s
      clockMs += 100;
    }
    s.end();
    expect(s.rejected).toEqual({ overlaps_samples: 1 });
    const fromSamples = windows.filter((w) => w.durationS <= 1);
    const fromDevice = windows.filter((w) => w.durationS === 20);
    expect(fromDevice).toHaveLength(2);
    // Samples up to the first W (20 s), then the device's windows: 60 s covered once.
    expect(fromSamples.reduce((sum, w) => sum + w.durationS, 0)).toBeCloseTo(20, 9);
    expect(windows.reduce((sum, w) => sum + w.durationS, 0)).toBeCloseTo(60, 9);
    for (let i = 1; i < windows.length; i += 1) expect(windows[i]!.startMs).toBeGreaterThanOrEqual(windows[i - 1]!.startMs + windows[i - 1]!.durationS * 1000);
  });

  it('keeps lines before the first hello and replays them, at the times they arrived, when it comes', () => {
    let clockMs = T0_MS;
    const { s, windows, devices } = session(null, () => clockMs);
    for (let k = 0; k < 1500; k += 1) {
      clockMs = T0_MS + k;
      s.handleLine(formatSample(k * 1000, 3300, 1000)); // the hello before these was flushed by the port open
    }
    expect(s.counters.preHelloLines).toBe(1500);
    expect(windows).toEqual([]);
    s.handleLine(hello('late-hello'));
    for (let k = 1500; k <= 3000; k += 1) {
      clockMs = T0_MS + k;
      s.handleLine(formatSample(k * 1000, 3300, 1000));
    }
    s.end();
    expect(devices.map((d) => d.deviceId)).toEqual(['late-hello']);
    expect(s.rejected).toEqual({});
    expect(s.counters).toMatchObject({ samples: 3001, preHelloReplayed: 1500, preHelloLines: 0, gaps: 0, coveredUs: 3_000_000 });
    expect(windows[0]!.startMs).toBe(T0_MS); // timed from when the first line arrived, not from the hello
    expect(windows.reduce((sum, w) => sum + w.energyJ, 0)).toBeCloseTo(3 * 3.3e-3, 12);
  });

  it(`keeps at most ${PRE_HELLO_MAX_LINES} lines before a hello (the oldest go, counted), and counts those left at the end`, () => {
    let clockMs = T0_MS;
    const { s } = session(null, () => clockMs);
    const extra = 100;
    for (let k = 0; k < PRE_HELLO_MAX_LINES + extra; k += 1) {
      clockMs = T0_MS + k;
      s.handleLine(formatSample(k * 1000, 3300, 1000));
    }
    expect(s.rejected).toEqual({ before_hello: extra });
    expect(s.counters.preHelloLines).toBe(PRE_HELLO_MAX_LINES);
    s.handleLine(hello('bounded'));
    s.end();
    expect(s.counters).toMatchObject({ preHelloReplayed: PRE_HELLO_MAX_LINES, samples: PRE_HELLO_MAX_LINES });
    const never = session();
    never.s.handleLine(formatSample(0, 1, 1));
    never.s.handleLine(window(1));
    never.s.handleLine(formatEvent(0, 'begin', 1));
    never.s.end(); // the session ended without a hello
    expect(never.s.rejected).toEqual({ before_hello: 3 });
    expect(never.devices).toEqual([]);
    const configured = session('fixed-1');
    configured.s.handleLine(formatSample(0, 1, 1));
    expect(configured.devices).toEqual([{ deviceId: 'fixed-1' }]);
    expect(configured.s.rejected).toEqual({});
  });

  it('a repeated hello followed by time going backwards is a reboot: new timeline at once, no out_of_order run', () => {
    const { s, windows, devices } = session();
    s.handleLine(hello('dev-r'));
    for (let k = 0; k <= 500; k += 1) s.handleLine(formatSample(3_000_000 + k * 1000, 3300, 1000));
    s.handleLine(hello('dev-r')); // the device rebooted and says hello again
    for (let k = 0; k <= 500; k += 1) s.handleLine(formatSample(k * 1000, 3300, 1000));
    s.end();
    expect(devices).toHaveLength(1);
    expect(s.rejected).toEqual({});
    expect(s.counters.clockResets).toBe(1);
    expect(windows.reduce((sum, w) => sum + w.energyJ, 0)).toBeCloseTo(2 * 0.5 * 3.3e-3, 12);
  });

  it('a hello naming another device closes the window under the old id and announces the new one', () => {
    const { s, windows, devices } = session();
    s.handleLine(hello('first'));
    for (let k = 0; k <= 100; k += 1) s.handleLine(formatSample(k * 1000, 3300, 1000));
    s.handleLine(hello('second'));
    for (let k = 0; k <= 100; k += 1) s.handleLine(formatSample(k * 1000, 3300, 1000));
    s.end();
    expect(devices.map((d) => d.deviceId)).toEqual(['first', 'second']);
    expect(windows.map((w) => w.deviceId)).toEqual(['first', 'second']);
  });

  it('a 40 min forward jump of device time, with the host clock showing it, is lost coverage, not samples going backwards', () => {
    let clockMs = T0_MS;
    const { s, windows } = session(null, () => clockMs);
    s.handleLine(hello('dev-j'));
    const t0 = 2_000_000_000;
    for (let k = 0; k <= 1000; k += 1) {
      clockMs = T0_MS + k;
      s.handleLine(formatSample(t0 + k * 1000, 3300, 1000));
    }
    const jumpUs = 2_400_000_000; // > 2³¹ µs: read as backwards from the raw difference alone
    const resumeMs = clockMs + jumpUs / 1000;
    for (let k = 0; k <= 1000; k += 1) {
      clockMs = resumeMs + k;
      s.handleLine(formatSample((t0 + 1_000_000 + jumpUs + k * 1000) % 2 ** 32, 3300, 1000));
    }
    s.end();
    expect(s.rejected).toEqual({});
    expect(s.counters).toMatchObject({ gaps: 1, lostCoverageUs: jumpUs, coveredUs: 2_000_000, clockResets: 0 });
    expect(windows.reduce((sum, w) => sum + w.energyJ, 0)).toBeCloseTo(2 * 3.3e-3, 12);
    expect(windows.at(-1)!.startMs).toBe(resumeMs); // stamped when it was received
  });

  it.each([
    ['shorter than a window', 300],
    ['longer than a window', 2500],
  ])('a backlog %s read at the open, then the live stream: coverage is the reading time, windows are timed from arrival', (_name, backlogSamples) => {
    let clockMs = T0_MS;
    const { s, windows } = session(null, () => clockMs);
    s.handleLine(hello('dev-idle'));
    // Stale samples from device time 1.0 s, read at 100 per ms right after the open; the board ran on unread for 60 s.
    for (let k = 0; k < backlogSamples; k += 1) {
      clockMs = T0_MS + k / 100;
      s.handleLine(formatSample(1_000_000 + k * 1000, 3300, 1000));
    }
    // The live stream, from device time 61 s + the backlog, first line 50 ms after the open.
    const liveUs = 61_000_000 + backlogSamples * 1000;
    for (let k = 0; k <= 2000; k += 1) {
      clockMs = T0_MS + 50 + k;
      s.handleLine(formatSample(liveUs + k * 1000, 3300, 1000));
    }
    s.end();
    expect(s.counters).toMatchObject({ gaps: 1, lostCoverageUs: 50_000, coveredUs: (backlogSamples - 1) * 1000 + 2_000_000 });
    // Live windows are stamped from their arrival, not 60 s ahead of the host clock. A backlog longer than a window
    // was partly delivered before the live stream showed its age: the windows after it come after it (no overlap),
    // ahead of the clock by at most the backlog's length (1 ms per sample here).
    const lastEndMs = windows.at(-1)!.startMs + windows.at(-1)!.durationS * 1000;
    expect(lastEndMs).toBeLessThanOrEqual(clockMs + (backlogSamples < 1000 ? 0 : backlogSamples));
    for (let i = 1; i < windows.length; i += 1) {
      expect(windows[i]!.startMs).toBeGreaterThanOrEqual(windows[i - 1]!.startMs + windows[i - 1]!.durationS * 1000);
      expect(Number.isInteger(windows[i]!.startMs)).toBe(true);
    }
  });

  it('with an announced 1 kHz period, 50 lost lines inside a burst are lost coverage, not a trapezoid between sleep samples', () => {
    const sleepUa = 5;
    const activeUa = 8000;
    const ua = (k: number): number => (k % 100 < 10 || (k >= 450 && k < 500) ? activeUa : sleepUa); // 10 ms bursts, a 50 ms one at 450
    const lost = (k: number): boolean => k >= 450 && k < 500; // the host was slow: the 50 ms burst's lines never arrived
    let clockMs = T0_MS;
    const { s, windows } = session(null, () => clockMs);
    s.handleLine(hello('dev-burst', 1000));
    let receivedUj = 0;
    let previous: { k: number; uw: number } | null = null;
    for (let k = 0; k <= 2000; k += 1) {
      clockMs = T0_MS + k; // read live
      if (lost(k)) continue;
      const uw = (3300 * ua(k)) / 1000;
      if (previous !== null && k - previous.k === 1) receivedUj += (((previous.uw + uw) / 2) * 1000) / 1e6;
      previous = { k, uw };
      s.handleLine(formatSample(k * 1000, 3300, ua(k)));
    }
    s.end();
    // The hole (449 → 500: 51 ms, sleep on both sides) is not integrated; everything on either side of it is, exactly.
    expect(s.counters).toMatchObject({ gaps: 1, lostCoverageUs: 51_000, coveredUs: 2_000_000 - 51_000 });
    expect(windows.reduce((sum, w) => sum + w.energyJ, 0) * 1e6).toBeCloseTo(receivedUj, 6);
    expect(windows.reduce((sum, w) => sum + w.durationS, 0)).toBeCloseTo(2 - 0.051, 9);
  });

  it('with an announced period, one lost line (two periods) is still bridged', () => {
    const { s } = session();
    s.handleLine(hello('dev-one', 1000));
    for (let k = 0; k <= 1000; k += 1) if (k !== 400) s.handleLine(formatSample(k * 1000, 3300, 1000));
    s.end();
    expect(s.counters).toMatchObject({ gaps: 0, lostCoverageUs: 0, coveredUs: 1_000_000 });
  });

  it('counts boot-log lines as ignored, not rejected', () => {
    const { s } = session();
    s.handleLine('rst:0x1 (POWERON_RESET),boot:0x13');
    s.handleLine('\r');
    expect(s.counters.ignoredLines).toBe(2);
    expect(s.rejected).toEqual({});
  });
});

describe('SeqAllocator', () => {
  it('store-backed: starts one above the stored maximum and never below what it issued itself', async () => {
    let storedMaxSeq: number | null = null;
    const allocator = new SeqAllocator(storeSeqStart({ getAggregate: async () => (storedMaxSeq === null ? undefined : ({ maxSeq: storedMaxSeq } as never)) }));
    await allocator.beginSession('d');
    expect([allocator.next('d'), allocator.next('d')]).toEqual([0, 1]);
    await allocator.beginSession('d'); // the store has not seen 0 and 1 yet (still in flight)
    expect(allocator.next('d')).toBe(2);
    storedMaxSeq = 41; // e.g. another process stored up to 41
    await allocator.beginSession('d');
    expect(allocator.next('d')).toBe(42);
  });

  it('without a store: epoch milliseconds, so a later process starts above an earlier one', async () => {
    const before = Date.now();
    const allocator = new SeqAllocator(epochMsSeqStart);
    await allocator.beginSession('d');
    expect(allocator.next('d')).toBeGreaterThanOrEqual(before);
    expect(() => allocator.next('unknown')).toThrow(/no session/);
  });
});
