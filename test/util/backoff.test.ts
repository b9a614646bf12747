/** The one backoff utility: its delays and reset, alone and through the callers that sleep on it (fake timers). */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Device, EnergyWindow } from '../../src/domain/types.js';
import type { SerialPortLike } from '../../src/ingest/serial/port-factory.js';
import { tmf1Driver } from '../../src/ingest/serial/drivers/tmf1/tmf1-driver.js';
import { PortSupervisor, SERIAL_RECONNECT_BACKOFF } from '../../src/ingest/serial/port-supervisor.js';
import { SeqAllocator } from '../../src/ingest/serial/seq-allocator.js';
import { DEFAULT_DELIVERY_RETRY, WindowDelivery } from '../../src/ingest/serial/window-delivery.js';
import type { DeviceHello, SubmitResult, WindowSink } from '../../src/ingest/window-sink.js';
import { MQTT_RECONNECT_BACKOFF } from '../../src/ingest/mqtt/mqtt-reader.js';
import { Backoff, backoffDelayMs, type BackoffPolicy } from '../../src/util/backoff.js';

const POLICY: BackoffPolicy = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 'equal' };

describe('backoffDelayMs', () => {
  it('grows the ceiling by the factor up to the cap; full jitter is below it, equal jitter in its upper half', () => {
    const ceilings = [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelayMs({ ...POLICY, jitter: 'none' }, attempt));
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs({ ...POLICY, jitter: 'full' }, attempt, () => 0))).toEqual([0, 0, 0, 0, 0]);
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs({ ...POLICY, jitter: 'full' }, attempt, () => 0.999_999))).toEqual([99, 199, 399, 799, 999]);
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs(POLICY, attempt, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelayMs(POLICY, attempt, () => 0.999_999))).toEqual([99, 199, 399, 799, 999]);
  });

  it('stays at the cap, finite, for any attempt count and factor', () => {
    for (const factor of [1.5, 2, 10, 1_000]) {
      expect(backoffDelayMs({ ...POLICY, factor, jitter: 'none' }, 10_000)).toBe(1_000);
      expect(backoffDelayMs({ ...POLICY, factor, jitter: 'none' }, Number.MAX_SAFE_INTEGER)).toBe(1_000);
    }
    expect(backoffDelayMs({ ...POLICY, factor: 1, jitter: 'none' }, 50)).toBe(100);
  });

  it('declares the schedules its callers need', () => {
    expect(SERIAL_RECONNECT_BACKOFF).toEqual({ initialMs: 250, maxMs: 10_000, factor: 2, jitter: 'equal' });
    expect(DEFAULT_DELIVERY_RETRY.backoff).toEqual({ initialMs: 250, maxMs: 1_000, factor: 2, jitter: 'equal' });
    expect(MQTT_RECONNECT_BACKOFF).toEqual({ initialMs: 250, maxMs: 30_000, factor: 2, jitter: 'full' });
  });
});

describe('Backoff', () => {
  it('counts attempts, grows to the cap and starts over after reset', () => {
    const backoff = new Backoff({ ...POLICY, jitter: 'none' });
    expect(Array.from({ length: 6 }, () => backoff.nextDelayMs())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoff.attempts).toBe(6);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect([backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([100, 200]);
  });

  it('refuses a schedule that cannot work', () => {
    expect(() => new Backoff({ ...POLICY, maxMs: 50 })).toThrow(RangeError);
    expect(() => new Backoff({ ...POLICY, factor: 0.5 })).toThrow(RangeError);
    expect(() => new Backoff({ ...POLICY, initialMs: Number.NaN })).toThrow(RangeError);
  });
});

/** A port that is never there (open fails) until `present` is set; once open it closes at once (an unplug). */
class FlakyPorts {
  readonly openTimesMs: number[] = [];
  present = false;

  factory = (): SerialPortLike => {
    const port = Object.assign(new PassThrough(), {
      isOpen: false,
      open: (callback: (error: Error | null) => void) => {
        this.openTimesMs.push(Date.now());
        if (!this.present) {
          queueMicrotask(() => callback(new Error('ENOENT: no such file or directory')));
          return;
        }
        port.isOpen = true;
        queueMicrotask(() => {
          callback(null);
          // Right after the supervisor has seen the open (its continuation runs first): the board goes away.
          queueMicrotask(() => {
            port.isOpen = false;
            port.emit('close', Object.assign(new Error('device unplugged'), { disconnected: true }));
          });
        });
      },
      close: (callback: () => void) => {
        port.isOpen = false;
        callback();
      },
    });
    return port as unknown as SerialPortLike;
  };
}

class NullSink implements WindowSink {
  async announce(hello: DeviceHello): Promise<Device> {
    return { id: hello.deviceId } as Device;
  }
  async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
    return { inserted: windows.length, duplicates: 0 };
  }
  publishPower(): void {}
}

function gaps(timesMs: readonly number[]): number[] {
  return timesMs.slice(1).map((t, i) => t - timesMs[i]!);
}

describe('callers sleep the backoff delays (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('PortSupervisor reopens after 50, 100, 200, 400 ms and starts over at 50 ms once a session opened', async () => {
    const ports = new FlakyPorts();
    const supervisor = new PortSupervisor({
      path: '/dev/ttyFAKE',
      baudRate: 115_200,
      driver: tmf1Driver,
      settings: {},
      portFactory: ports.factory,
      delivery: new WindowDelivery(new NullSink(), new SeqAllocator(async () => 0)),
      publishPower: () => {},
      integrator: { windowUs: 10_000_000, maxGapUs: 1_000_000 },
      fixedDeviceId: null,
      silenceTimeoutMs: 60_000,
      backoff: POLICY,
      nowMs: Date.now,
      random: () => 0, // equal jitter: half the ceiling
    });
    supervisor.start();
    await vi.advanceTimersByTimeAsync(750); // opens at 0, 50, 150, 350, 750
    expect(gaps(ports.openTimesMs)).toEqual([50, 100, 200, 400]);
    expect(supervisor.status().counters['openFailures']).toBe(5);

    ports.present = true;
    await vi.advanceTimersByTimeAsync(499);
    expect(ports.openTimesMs).toHaveLength(5); // the next try is 500 ms (the cap's half) after the last
    await vi.advanceTimersByTimeAsync(1); // opens, and the port goes away at once
    expect(ports.openTimesMs).toHaveLength(6);
    ports.present = false;
    await vi.advanceTimersByTimeAsync(200); // reset: 50 after the session's teardown, then 100 (not 500 as before it)
    const [beforeOpen, afterSession, next] = gaps(ports.openTimesMs).slice(4);
    expect(beforeOpen).toBe(500);
    expect(afterSession! - 50).toBeGreaterThanOrEqual(0);
    expect(afterSession! - 50).toBeLessThanOrEqual(1); // the teardown waits one setImmediate, a fake-clock tick
    expect(next).toBe(100);
    expect(supervisor.status().counters).toMatchObject({ sessions: 1, disconnects: 1 });

    const stopped = supervisor.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    expect(supervisor.state).toBe('stopped');
  });

  it('WindowDelivery retries a failing delivery after 100 then 200 ms, and the next delivery starts at 100 ms again', async () => {
    const callTimesMs: number[] = [];
    let failures = 2;
    const sink = new NullSink();
    sink.submitWindows = async (windows) => {
      callTimesMs.push(Date.now());
      if (failures > 0) {
        failures -= 1;
        throw new Error('SQLITE_BUSY: database is locked');
      }
      return { inserted: windows.length, duplicates: 0 };
    };
    const delivery = new WindowDelivery(sink, new SeqAllocator(async () => 0), {
      retry: { attempts: 4, backoff: POLICY },
      random: () => 0.999_999, // just under the ceiling: 99, 199, 399 ms
    });
    const draft = {
      deviceId: 'd',
      startMs: Date.now(),
      durationS: 1,
      energyJ: 0.001,
      sampleCount: 10,
      minPowerW: 0.001,
      maxPowerW: 0.001,
      inferenceCount: 0,
      source: 'serial:test',
    };
    delivery.announce({ deviceId: 'd' });
    delivery.submit([draft]);
    await vi.advanceTimersByTimeAsync(99 + 198);
    expect(gaps(callTimesMs)).toEqual([99]);
    await vi.advanceTimersByTimeAsync(1);
    expect(gaps(callTimesMs)).toEqual([99, 199]);
    expect(delivery.counters).toMatchObject({ windowsInserted: 1, deliveryRetries: 2, deliveryErrors: 0 });

    failures = 1;
    delivery.submit([{ ...draft, startMs: draft.startMs + 1_000 }]);
    await vi.advanceTimersByTimeAsync(99);
    expect(gaps(callTimesMs)).toEqual([99, 199, 0, 99]);
    expect(delivery.counters).toMatchObject({ windowsInserted: 2, deliveryRetries: 3 });
  });
});
