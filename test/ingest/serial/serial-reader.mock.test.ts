import { SerialPortMock } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Device } from '../../../src/domain/types.js';
import { startSerialReaders } from '../../../src/ingest/serial/index.js';
import type { SerialReaderOptions, SerialReaders } from '../../../src/ingest/serial/index.js';
import type { PortFactory } from '../../../src/ingest/serial/port-factory.js';
import type { DeviceHello } from '../../../src/ingest/window-sink.js';
import { HealthRegistry } from '../../../src/obs/health-registry.js';
import type { SourceStatus } from '../../../src/obs/health-registry.js';
import { formatHello, formatSample } from '../../../src/protocol/line-format.js';
import { MAX_LINE_BYTES } from '../../../src/protocol/limits.js';
import { FakeSink } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * @serialport/binding-mock ships separate CJS and ESM builds, each with its own port table. serialport (CJS) uses the
 * CJS one, so `import { MockBinding } from '@serialport/binding-mock'` (ESM) would be a different, empty instance.
 */
const MockBinding = SerialPortMock.binding;
const PATH = '/dev/ttyMOCK0';
const FAST_BACKOFF = { initialMs: 5, maxMs: 40, factor: 2, jitter: 'equal' } as const;
const FAST_RETRY = { attempts: 3, backoff: { initialMs: 1, maxMs: 4, factor: 2, jitter: 'equal' } } as const;

type MockBindingPort = { emitData(data: Buffer | string): void; pendingRead: ((error?: Error) => void) | null; isOpen: boolean };

let opened: SerialPortMock[] = [];
let readers: SerialReaders | null = null;
const factory: PortFactory = ({ path, baudRate }) => {
  const port = new SerialPortMock({ path, baudRate, autoOpen: false });
  port.on('open', () => opened.push(port));
  return port;
};

function binding(): MockBindingPort {
  const port = opened.at(-1);
  if (port?.port === undefined) throw new Error('no open mock port');
  return port.port as unknown as MockBindingPort;
}

function hello(deviceId = 'mock-1'): string {
  return `${formatHello({ deviceId, board: 'mock', firmware: '1.0', supplyMv: 3300, samplePeriodUs: 1000 })}\n`;
}

/** `count` samples at 1 kHz of constant `ua` at 3.3 V, starting at device time `fromUs`. */
function samples(fromUs: number, count: number, ua = 1000): string {
  let text = '';
  for (let k = 0; k < count; k += 1) text += `${formatSample(fromUs + k * 1000, 3300, ua)}\r\n`;
  return text;
}

function status(health: HealthRegistry): SourceStatus {
  const found = health.snapshot().find((s) => s.name === `serial:${PATH}`);
  if (found === undefined) throw new Error('no status');
  return found;
}

async function start(sink: FakeSink, health: HealthRegistry, extra: Partial<SerialReaderOptions> = {}): Promise<void> {
  readers = await startSerialReaders(
    { ports: [PATH], autoDiscover: false, baudRate: 115200, windowS: 1, backoff: FAST_BACKOFF, portFactory: factory, ...extra },
    sink,
    health,
  );
  await waitFor('the port to open', () => opened.length > 0 && binding().isOpen);
}

beforeEach(() => {
  opened = [];
  MockBinding.reset();
  MockBinding.createPort(PATH, { echo: false, record: false });
});

afterEach(async () => {
  await readers?.stop();
  readers = null;
  MockBinding.reset();
});

describe('serial reader over @serialport/binding-mock', () => {
  it('turns hello + samples into windows, announces the device, decimates live power to ≤ 10 Hz', async () => {
    const sink = new FakeSink();
    const health = new HealthRegistry();
    await start(sink, health);
    // 12.5 s: sample windows are held for the first 12 s of a session (SAMPLE_WINDOW_HOLD_US: does the device send W?)
    binding().emitData(hello() + samples(0, 12_501));
    await waitFor('twelve full windows', () => sink.windows.size >= 12);
    expect(sink.devices.get('mock-1')).toMatchObject({ board: 'mock', firmware: '1.0' });
    await readers!.stop();
    readers = null;
    // 12.5 s at 3.3 mW, the last 0.5 s flushed at stop
    expect(sink.energyJ('mock-1')).toBeCloseTo(3.3e-3 * 12.5, 9);
    const seqs = [...sink.windows.values()].map((w) => w.seq).sort((a, b) => a - b);
    expect(seqs).toHaveLength(13);
    expect(new Set(seqs).size).toBe(13);
    expect(seqs[12]! - seqs[0]!).toBe(12);
    expect(sink.power.length).toBeLessThanOrEqual(126); // 12.5 s of device time at ≤ 10 Hz
    expect(sink.power.length).toBeGreaterThanOrEqual(120);
    const s = status(health);
    expect(s.counters).toMatchObject({ lines: 12_502, messages: 12_502, samples: 12_501, windowsInserted: 13 });
  });

  it('reconnects after a disconnect, flushes the open window, and never reuses a seq', async () => {
    const sink = new FakeSink();
    const health = new HealthRegistry();
    await start(sink, health);
    binding().emitData(hello() + samples(0, 1501));
    await waitFor('the first session samples', () => status(health).counters['samples'] === 1501);
    await waitFor('a pending read', () => binding().pendingRead !== null);
    binding().pendingRead!(new Error('device unplugged'));
    await waitFor('a second session', () => opened.length === 2 && binding().isOpen);
    expect(status(health).counters['disconnects']).toBe(1);
    expect(status(health).lastError).toMatch(/disconnected/);
    binding().emitData(hello() + samples(5_000_000, 1001));
    await waitFor('the second session samples', () => status(health).counters['samples'] === 2502);
    await readers!.stop();
    readers = null;
    // session 1: 1.5 s (window 1 s + flushed 0.5 s); session 2: 1 s
    expect(sink.energyJ('mock-1')).toBeCloseTo(3.3e-3 * 2.5, 9);
    expect(sink.windows.size).toBe(3);
    expect(sink.duplicates).toBe(0);
    expect(status(health).counters).toMatchObject({ sessions: 2, reconnects: 1, windowsInserted: 3 });
  });

  it("books nothing to the previous board after a replug: samples before the new board's hello are kept and booked to it", async () => {
    const sink = new FakeSink();
    const health = new HealthRegistry();
    await start(sink, health);
    binding().emitData(hello('board-a') + samples(0, 1001));
    await waitFor("board-a's samples", () => status(health).counters['samples'] === 1001);
    await waitFor('a pending read', () => binding().pendingRead !== null);
    binding().pendingRead!(new Error('device unplugged'));
    await waitFor('a second session', () => opened.length === 2 && binding().isOpen);
    expect(status(health).details?.['deviceId']).toBeNull();
    // Another board on the same path: it talks before its first hello, then says who it is.
    binding().emitData(samples(0, 500, 2000));
    binding().emitData(hello('board-b') + samples(600_000, 1001, 2000));
    await waitFor("board-b's samples", () => status(health).counters['samples'] === 1001 + 500 + 1001);
    await readers!.stop();
    readers = null;
    expect(sink.energyJ('board-a')).toBeCloseTo(3.3e-3 * 1, 9);
    // 0.499 s before its hello (kept, replayed), a 101 ms gap, then 1 s: all board-b's
    expect(sink.energyJ('board-b')).toBeCloseTo(6.6e-3 * 1.499, 9);
    expect(status(health).rejected['before_hello']).toBeUndefined();
    expect(status(health).details?.['deviceId']).toBe('board-b');
  });

  it('keeps a session whose hello the store refused once (SQLITE_BUSY), and shows dropped windows with their cause in health', async () => {
    class FlakySink extends FakeSink {
      announceFailures = 1;
      isStoreDown = false;
      override async announce(h: DeviceHello): Promise<Device> {
        if (this.announceFailures > 0) {
          this.announceFailures -= 1;
          throw new Error('SQLITE_BUSY: database is locked');
        }
        return super.announce(h);
      }
      override async submitWindows(windows: Parameters<FakeSink['submitWindows']>[0]): ReturnType<FakeSink['submitWindows']> {
        if (this.isStoreDown) throw new Error('SQLITE_IOERR: disk I/O error');
        return super.submitWindows(windows);
      }
    }
    const sink = new FlakySink();
    const health = new HealthRegistry();
    await start(sink, health, { deliveryRetry: FAST_RETRY });
    binding().emitData(hello() + samples(0, 12_001)); // past the 12 s hold of a session's first sample windows
    await waitFor('twelve windows stored', () => sink.windows.size === 12);
    expect(sink.devices.has('mock-1')).toBe(true);
    expect(status(health).counters).toMatchObject({ windowsInserted: 12, windowsDropped: 0, deliveryErrors: 0, deliveryRetries: 1 });
    sink.isStoreDown = true;
    binding().emitData(samples(12_001_000, 1000));
    await waitFor('a window dropped after its retries', () => status(health).counters['windowsDropped'] === 1);
    expect(status(health).counters).toMatchObject({ windowsInserted: 12, deliveryErrors: 1 });
    expect(status(health).lastError).toMatch(/deliver 1 window of mock-1 failed after 3 tries: SQLITE_IOERR/);
  });

  it('keeps retrying with backoff while the device is absent, and reads it again when it comes back', async () => {
    const sink = new FakeSink();
    const health = new HealthRegistry();
    await start(sink, health);
    MockBinding.reset(); // unplugged: the port vanishes
    await waitFor('a pending read', () => binding().pendingRead !== null);
    binding().pendingRead!(new Error('EIO'));
    await waitFor('failed reopen attempts', () => (status(health).counters['openFailures'] ?? 0) >= 2);
    expect(status(health).state).not.toBe('connected');
    MockBinding.createPort(PATH, { echo: false, record: false });
    await waitFor('reconnected', () => opened.length === 2 && status(health).state === 'connected');
    binding().emitData(hello() + samples(0, 13_001)); // past the 12 s hold of a session's first sample windows
    await waitFor('windows after the replug', () => sink.windows.size === 13);
  });

  it('closes and reopens a port that goes silent (watchdog)', async () => {
    const sink = new FakeSink();
    const health = new HealthRegistry();
    await start(sink, health, { silenceTimeoutS: 0.1 });
    await waitFor('a silence timeout and a new session', () => (status(health).counters['silenceTimeouts'] ?? 0) >= 1 && opened.length >= 2);
    expect(status(health).lastError).toMatch(/no data/);
  });

  it('counts every kind of bad input by reason and keeps memory bounded on a stream with no newline', async () => {
    const sink = new FakeSink();
    const health = new HealthRegistry();
    await start(sink, health);
    const port = binding();
    port.emitData('0,3300,1500*3A\n'); // partial first line (attached mid-frame)
    port.emitData(samples(0, 3)); // before any hello
    port.emitData(hello());
    port.emitData('ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n'); // boot log
    const good = formatSample(1_000_000, 3300, 1000);
    port.emitData(`${good.replace('3300', '3301')}\n`); // bad checksum
    port.emitData(`${formatSample(1_000_000, 3300, 1000).replace('1000000', '1e6')}\n`.replace(/\*..$/, '*00')); // bad checksum too
    port.emitData(`$TMF1,S,1000000,3300,1500\n`); // no checksum → bad_frame
    port.emitData(samples(2_000_000, 2));
    port.emitData(samples(1_500_000, 1)); // time going backwards
    port.emitData(samples(2_001_000, 1)); // repeated
    port.emitData(`${formatSample(2_002_000, 70000, 1)}\n`); // out of range
    port.emitData(`${formatSample(2_002_000, 3300, 1).replace(',1*', ',x*')}\n`); // checksum now wrong
    let seed = 7;
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i += 1) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      noise[i] = (seed >> 8) & 0xff;
    }
    port.emitData(noise); // random bytes
    port.emitData('\n');
    // A wrong baud rate: 1 MB with no newline. The guard must hold at most MAX_LINE_BYTES + 1 bytes of it.
    const garbage = Buffer.alloc(64 * 1024, 0x55);
    for (let i = 0; i < 16; i += 1) port.emitData(garbage);
    await waitFor('the garbage to be consumed', () => (status(health).counters['bytes'] ?? 0) >= 16 * garbage.length);
    await waitFor('the dropped bytes to be counted', () => (status(health).counters['bytesDropped'] ?? 0) >= 16 * garbage.length - MAX_LINE_BYTES - 1);
    port.emitData(`\n${samples(2_003_000, 1)}`);
    await waitFor('the last sample', () => (status(health).counters['samples'] ?? 0) >= 8, { timeoutMs: 2000 }).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(status(health))}`);
    });
    const s = status(health);
    expect(s.rejected['before_hello']).toBeUndefined(); // the 3 before the hello were kept and replayed after it (SPEC §4.1)
    expect(s.rejected['bad_checksum']).toBeGreaterThanOrEqual(3);
    expect(s.rejected['bad_frame']).toBeGreaterThanOrEqual(1);
    expect(s.rejected['out_of_order']).toBe(1);
    expect(s.rejected['repeated']).toBe(1);
    expect(s.rejected['too_long']).toBeGreaterThanOrEqual(2); // the 4 KiB of noise has long runs without \n, and the 1 MB line
    expect(s.counters['ignoredLines']).toBeGreaterThanOrEqual(3);
    expect(s.counters['samples']).toBe(8); // 3 replayed + 2 good + backwards + repeated + last
    expect(s.state).toBe('connected');
  });
});
