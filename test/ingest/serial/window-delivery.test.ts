/** WindowDelivery against a sink that fails: no session is lost to one failed call, and what is lost is counted. */
import { describe, expect, it } from 'vitest';
import type { Device, EnergyWindow } from '../../../src/domain/types.js';
import { SeqAllocator } from '../../../src/ingest/serial/seq-allocator.js';
import { MAX_PENDING_DELIVERIES, WindowDelivery } from '../../../src/ingest/serial/window-delivery.js';
import type { WindowDraft } from '../../../src/ingest/serial/window-delivery.js';
import type { DeviceHello, WindowSink } from '../../../src/ingest/window-sink.js';

const FAST_RETRY = { attempts: 3, backoff: { initialMs: 1, maxMs: 2, factor: 2, jitter: 'equal' } } as const;
const SEQ_START = 100;

function sqliteBusy(): Error {
  return Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
}

/** Store-like: windows of an unannounced device are refused (the foreign key), (deviceId, seq) is unique. */
class ScriptedSink implements WindowSink {
  readonly devices = new Set<string>();
  readonly windows = new Map<string, EnergyWindow>();
  announceCalls = 0;
  submitCalls = 0;
  /** Errors thrown by the next calls, in order; then calls succeed. */
  announceFailures: Error[] = [];
  submitFailures: Error[] = [];
  /** While set, submitWindows waits for it (a stalled store). */
  gate: Promise<void> | null = null;

  async announce(hello: DeviceHello): Promise<Device> {
    this.announceCalls += 1;
    const failure = this.announceFailures.shift();
    if (failure !== undefined) throw failure;
    this.devices.add(hello.deviceId);
    return { id: hello.deviceId } as Device;
  }

  async submitWindows(windows: readonly EnergyWindow[]): Promise<{ inserted: number; duplicates: number }> {
    this.submitCalls += 1;
    if (this.gate !== null) await this.gate;
    const failure = this.submitFailures.shift();
    if (failure !== undefined) throw failure;
    let inserted = 0;
    for (const window of windows) {
      if (!this.devices.has(window.deviceId)) throw new Error(`FOREIGN KEY constraint failed (${window.deviceId})`);
      const key = `${window.deviceId}#${window.seq}`;
      if (!this.windows.has(key)) inserted += 1;
      this.windows.set(key, window);
    }
    return { inserted, duplicates: windows.length - inserted };
  }

  publishPower(): void {}

  seqs(deviceId: string): number[] {
    return [...this.windows.values()].filter((w) => w.deviceId === deviceId).map((w) => w.seq);
  }
}

function draft(deviceId: string, startMs: number): WindowDraft {
  return {
    deviceId,
    startMs,
    durationS: 1,
    energyJ: 0.001,
    sampleCount: 1000,
    minPowerW: 0.001,
    maxPowerW: 0.001,
    inferenceCount: 0,
    source: 'serial:test',
  };
}

function delivery(sink: ScriptedSink): WindowDelivery {
  return new WindowDelivery(sink, new SeqAllocator(async () => SEQ_START), { retry: FAST_RETRY, random: () => 0.5 });
}

describe('WindowDelivery with a failing sink', () => {
  it('keeps the session when one announce fails (SQLITE_BUSY): the hello is retried and every window is stored', async () => {
    const sink = new ScriptedSink();
    sink.announceFailures = [sqliteBusy()];
    const d = delivery(sink);
    d.announce({ deviceId: 'dev-a', board: 'nucleo' });
    d.submit([draft('dev-a', 0)]);
    d.submit([draft('dev-a', 1000), draft('dev-a', 2000)]);
    await d.idle();
    expect(sink.devices.has('dev-a')).toBe(true);
    expect(sink.seqs('dev-a')).toEqual([SEQ_START, SEQ_START + 1, SEQ_START + 2]);
    expect(d.counters).toMatchObject({ windowsSubmitted: 3, windowsInserted: 3, windowsDropped: 0, deliveryErrors: 0, deliveryRetries: 1 });
  });

  it('announces before the next windows when the hello ran out of tries, instead of losing the session', async () => {
    const sink = new ScriptedSink();
    sink.announceFailures = Array.from({ length: FAST_RETRY.attempts }, sqliteBusy);
    const d = delivery(sink);
    d.announce({ deviceId: 'dev-a' });
    await d.idle();
    expect(d.counters.deliveryErrors).toBe(1);
    expect(d.lastError).toMatch(/announce dev-a: SQLITE_BUSY/);
    d.submit([draft('dev-a', 0)]);
    d.submit([draft('dev-a', 1000)]);
    await d.idle();
    expect(sink.seqs('dev-a')).toEqual([SEQ_START, SEQ_START + 1]);
    expect(d.counters).toMatchObject({ windowsInserted: 2, windowsDropped: 0 });
    expect(d.lastError).not.toMatch(/no session/);
  });

  it('retries a failed window delivery with the same seqs, so nothing is stored twice', async () => {
    const sink = new ScriptedSink();
    sink.submitFailures = [sqliteBusy(), sqliteBusy()];
    const d = delivery(sink);
    d.announce({ deviceId: 'dev-a' });
    d.submit([draft('dev-a', 0), draft('dev-a', 1000)]);
    await d.idle();
    expect(sink.submitCalls).toBe(3);
    expect(sink.seqs('dev-a')).toEqual([SEQ_START, SEQ_START + 1]);
    expect(d.counters).toMatchObject({ windowsSubmitted: 2, windowsInserted: 2, windowsDropped: 0, deliveryErrors: 0, deliveryRetries: 2 });
  });

  it('counts windows dropped after the last try, and lastError keeps the first cause', async () => {
    const sink = new ScriptedSink();
    sink.submitFailures = [sqliteBusy(), new Error('The database connection is not open'), new Error('The database connection is not open')];
    const d = delivery(sink);
    d.announce({ deviceId: 'dev-a' });
    d.submit([draft('dev-a', 0), draft('dev-a', 1000)]);
    await d.idle();
    expect(sink.submitCalls).toBe(FAST_RETRY.attempts);
    expect(d.counters).toMatchObject({ windowsSubmitted: 2, windowsInserted: 0, windowsDropped: 2, deliveryErrors: 1 });
    expect(d.lastError).toMatch(/^deliver 2 windows of dev-a failed after 3 tries: SQLITE_BUSY.*last try: The database connection is not open/);

    // While the sink keeps failing, a delivery gets one try (a dead store must not stall the queue for seconds per window).
    sink.submitFailures = [new Error('still down')];
    d.submit([draft('dev-a', 2000)]);
    await d.idle();
    expect(sink.submitCalls).toBe(FAST_RETRY.attempts + 1);
    expect(d.counters.windowsDropped).toBe(3);

    // The store is back: seqs continue (dropped seqs are not reused), and a later failure gets all its tries again.
    d.submit([draft('dev-a', 3000)]);
    await d.idle();
    sink.submitFailures = [sqliteBusy()];
    d.submit([draft('dev-a', 4000)]);
    await d.idle();
    expect(sink.seqs('dev-a')).toEqual([SEQ_START + 3, SEQ_START + 4]);
    expect(d.counters).toMatchObject({ windowsInserted: 2, windowsDropped: 3, deliveryErrors: 2 });
  });

  it('a hello that finds the delivery queue full is not lost: the device is announced before its first window', async () => {
    const sink = new ScriptedSink();
    const d = delivery(sink);
    d.announce({ deviceId: 'dev-a' });
    let release: () => void = () => undefined;
    sink.gate = new Promise((resolve) => (release = resolve));
    for (let k = 0; k < MAX_PENDING_DELIVERIES - 1; k += 1) d.submit([draft('dev-a', k * 1000)]);
    // The queue is full now (one announce + 255 submits): a board replugged with another id says hello.
    d.announce({ deviceId: 'dev-b' });
    d.submit([draft('dev-a', 999_000)]);
    expect(d.counters.windowsDropped).toBe(1);
    sink.gate = null;
    release();
    await d.idle();
    d.submit([draft('dev-b', 0)]);
    await d.idle();
    expect(sink.devices.has('dev-b')).toBe(true);
    expect(sink.seqs('dev-b')).toEqual([SEQ_START]);
    expect(d.counters).toMatchObject({ windowsInserted: MAX_PENDING_DELIVERIES, windowsDropped: 1, deliveryErrors: 0 });
    expect(d.lastError).toMatch(/delivery queue full \(256 pending\): deliver 1 window of dev-a dropped/);
  });

  it('begins the session even when the seq start cannot be read the first time', async () => {
    const sink = new ScriptedSink();
    let reads = 0;
    const seqs = new SeqAllocator(async () => {
      reads += 1;
      if (reads === 1) throw sqliteBusy();
      return SEQ_START;
    });
    const d = new WindowDelivery(sink, seqs, { retry: FAST_RETRY, random: () => 0.5 });
    d.announce({ deviceId: 'dev-a' });
    d.submit([draft('dev-a', 0)]);
    await d.idle();
    expect(sink.seqs('dev-a')).toEqual([SEQ_START]);
    expect(d.counters).toMatchObject({ windowsInserted: 1, windowsDropped: 0, deliveryErrors: 0, deliveryRetries: 1 });
  });
});
