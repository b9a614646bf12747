import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ppk2Calibration } from '../../../../../src/ingest/serial/drivers/ppk2/calibration.js';
import { parsePpk2Metadata } from '../../../../../src/ingest/serial/drivers/ppk2/metadata.js';
import { PPK2_FLUSH_QUIET_MS, Ppk2Session, type Ppk2SessionContext } from '../../../../../src/ingest/serial/drivers/ppk2/ppk2-session.js';
import { PPK2_DEFAULT_SETTINGS, type Ppk2Settings } from '../../../../../src/ingest/serial/drivers/ppk2/settings.js';
import type { DeviceHello, WindowDraft } from '../../../../../src/ingest/window-sink.js';
import { PPK2RS_METADATA, word, wordBytes } from './vectors.js';

interface Harness {
  context: Ppk2SessionContext;
  written: number[][];
  devices: DeviceHello[];
  windows: WindowDraft[];
  failures: string[];
}

function harness(settings: Partial<Ppk2Settings> = {}): Harness {
  const h: Harness = { written: [], devices: [], windows: [], failures: [], context: null as unknown as Ppk2SessionContext };
  h.context = {
    source: 'serial:/dev/ttyACM7',
    path: '/dev/ttyACM7',
    settings: { ...PPK2_DEFAULT_SETTINGS, ...settings },
    fixedDeviceId: null,
    integrator: { windowUs: 1_000_000, maxGapUs: 1_000_000 },
    nowMs: () => Date.now(),
    previousWindowEnd: null,
    write: (data) => h.written.push([...(typeof data === 'string' ? Buffer.from(data) : data)]),
    fail: (message) => h.failures.push(message),
    device: (hello) => h.devices.push(hello),
    windows: (windows) => h.windows.push(...windows),
    power: () => undefined,
  };
  return h;
}

const metadata = parsePpk2Metadata(PPK2RS_METADATA);
const calibration = Ppk2Calibration.fromMetadata(metadata, 3300);

/** Samples of a 1 ms period: D0 high and range 2 for the first 200 µs, range 0 after. */
function periodWords(firstSample: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => {
    const n = firstSample + k;
    const busy = n % 100 < 20;
    return word({ adc: busy ? 4000 : 3000, range: busy ? 2 : 0, counter: n, logic: busy ? 1 : 0 });
  });
}

function currentOf(w: number): number {
  return calibration.currentA((w >>> 14) & 7, w & 0x3fff);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Runs the start sequence up to the metadata request. */
async function toMetadata(h: Harness, session: Ppk2Session): Promise<void> {
  await vi.advanceTimersByTimeAsync(PPK2_FLUSH_QUIET_MS * 2);
  expect(h.written).toEqual([[0x07], [0x19]]);
  void session;
}

describe('Ppk2Session', () => {
  it('flushes, reads the metadata, configures source mode, starts, and turns samples into windows with markers', async () => {
    const h = harness({ spikeFilter: false });
    const session = new Ppk2Session(h.context);
    const started = session.start();
    session.data(Buffer.from([0x12, 0x34, 0x56])); // the tail of a stream an earlier host left running
    await toMetadata(h, session);
    session.data(Buffer.from(PPK2RS_METADATA.slice(0, 300)));
    session.data(Buffer.from(PPK2RS_METADATA.slice(300)));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.written.slice(2)).toEqual([[0x11, 2], [0x0d, 3300 >> 8, 3300 & 0xff], [0x0c, 1], [0x06]]);
    expect(h.devices).toEqual([{ deviceId: 'ppk2-ttyACM7', board: 'Nordic PPK2 (HW 9173), source mode' }]);

    const words = periodWords(0, 250_000); // 2.5 s
    const bytes = wordBytes(words);
    let resolved = false;
    void started.then(() => (resolved = true));
    for (let at = 0; at < bytes.length; at += 4096 + 2) session.data(bytes.subarray(at, at + 4096 + 2));
    await started;
    expect(resolved).toBe(true);
    const stopped = session.stop();
    await vi.advanceTimersByTimeAsync(PPK2_FLUSH_QUIET_MS * 2);
    await stopped;
    expect(h.written.at(-1)).toEqual([0x07]);
    await session.end();

    expect(session.counters).toMatchObject({ samples: 250_000, lostSamples: 0, bytesFlushed: 3, markers: 2_499, inferences: 2_499 });
    expect(session.shortestBurstUs).toBe(200);
    // Energy: the trapezoid over every sample (P = I·3.3 V), all in windows.
    let exactJ = 0;
    for (let k = 1; k < words.length; k += 1) exactJ += ((currentOf(words[k - 1]!) + currentOf(words[k]!)) / 2) * 3.3 * 1e-5;
    const energyJ = h.windows.reduce((sum, w) => sum + w.energyJ, 0);
    expect(Math.abs(energyJ - exactJ)).toBeLessThan(exactJ * 1e-9);
    // Between two rises: one period, one inference, betweenMarkers.
    const marked = h.windows.filter((w) => w.betweenMarkers === true);
    expect(marked).toHaveLength(2_498);
    for (const w of marked) {
      expect(w.inferenceCount).toBe(1);
      expect(w.durationS).toBeCloseTo(0.001, 9);
    }
    expect(h.windows.reduce((sum, w) => sum + w.inferenceCount, 0)).toBe(2_499);
  });

  it('reports a counter gap as lost coverage: nothing integrated across it', async () => {
    const h = harness({ logicChannel: null, spikeFilter: false });
    const session = new Ppk2Session(h.context);
    const started = session.start();
    await toMetadata(h, session);
    session.data(Buffer.from(PPK2RS_METADATA));
    await vi.advanceTimersByTimeAsync(0);
    const flat = (from: number, count: number): number[] => Array.from({ length: count }, (_, k) => word({ adc: 5000, range: 1, counter: from + k }));
    session.data(wordBytes([...flat(0, 1000), ...flat(1013, 1000)])); // 13 samples (130 µs) lost
    await started;
    await session.end();
    expect(session.counters).toMatchObject({ samples: 2000, lostSamples: 13, gaps: 1 });
    const covered = h.windows.reduce((sum, w) => sum + w.durationS, 0);
    expect(covered).toBeCloseTo(2 * 999 * 1e-5, 9); // two runs of 1000 samples: 999 periods each
    const powerW = calibration.currentA(1, 5000) * 3.3;
    expect(h.windows.reduce((sum, w) => sum + w.energyJ, 0)).toBeCloseTo(powerW * covered, 12);
  });

  it('uses the DUT supply for power in ampere mode and leaves the regulator alone', async () => {
    const h = harness({ mode: 'ampere', voltageMv: 1800, logicChannel: null, spikeFilter: false });
    const session = new Ppk2Session(h.context);
    const started = session.start();
    await toMetadata(h, session);
    session.data(Buffer.from(PPK2RS_METADATA));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.written.slice(2)).toEqual([[0x11, 1], [0x0c, 1], [0x06]]);
    session.data(wordBytes(Array.from({ length: 500 }, (_, k) => word({ adc: 5000, range: 1, counter: k }))));
    await started;
    await session.end();
    // Calibration at the kit's own VDD (3741 mV), power at the DUT's 1.8 V.
    const powerW = Ppk2Calibration.fromMetadata(metadata).currentA(1, 5000) * 1.8;
    const w = h.windows[0]!;
    expect(w.energyJ / w.durationS).toBeCloseTo(powerW, 12);
  });

  it('refuses another device at its first line, naming what a PPK2 sends; nothing is announced or stored', async () => {
    const h = harness();
    const session = new Ppk2Session(h.context);
    const started = session.start();
    const failed = started.then(
      () => null,
      (error: Error) => error.message,
    );
    await toMetadata(h, session);
    session.data(Buffer.from('$TMF1,S,1000,2500*3F\r\n'));
    expect(await failed).toMatch(
      /^PPK2 expected on \/dev\/ttyACM7: not PPK2 metadata: line 1 is "\$TMF1,S,1000,2500\*3F"; expected `Key: value` lines .* END$/,
    );
    expect(session.rejected).toEqual({ not_ppk2: 1 });
    session.data(wordBytes(periodWords(0, 1000)));
    await session.end();
    expect(h.devices).toEqual([]);
    expect(h.windows).toEqual([]);
    expect(h.written).toEqual([[0x07], [0x19]]);
  });

  it('refuses garbage metadata (a value that is not a number)', async () => {
    const h = harness();
    const session = new Ppk2Session(h.context);
    const failed = session.start().then(
      () => null,
      (error: Error) => error.message,
    );
    await toMetadata(h, session);
    session.data(Buffer.from(PPK2RS_METADATA.replace('VDD: 3741', 'VDD: lots')));
    expect(await failed).toMatch(/line 22 \(VDD\) has the value "lots", not a number/);
    expect(h.devices).toEqual([]);
  });

  it('gives up on a silent device after PPK2_METADATA_TIMEOUT_MS, saying what it waited for', async () => {
    const h = harness();
    const session = new Ppk2Session(h.context);
    const failed = session.start().then(
      () => null,
      (error: Error) => error.message,
    );
    await toMetadata(h, session);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await failed).toMatch(/no reply to GetMetadata \(0x19\) in 2000 ms \(0 bytes\): is this a PPK2 \(USB 1915:c00a\)\?/);
  });

  it('fails when no stream follows AverageStart', async () => {
    const h = harness();
    const session = new Ppk2Session(h.context);
    const failed = session.start().then(
      () => null,
      (error: Error) => error.message,
    );
    await toMetadata(h, session);
    session.data(Buffer.from(PPK2RS_METADATA));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await failed).toMatch(/no sample stream in 2000 ms after AverageStart/);
  });
});
