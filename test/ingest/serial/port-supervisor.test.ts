/**
 * The driver seam (driver.ts) as the supervisor keeps it, with a recording fake driver on @serialport/binding-mock:
 * bytes in order to `data`, a failed handshake ends the session as a counted protocol failure with its message, the
 * graceful stop runs while the port is writable and never after an unplug, `end` always last; every end of a session
 * but a requested stop is counted.
 */
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriverContext, DriverSession, SerialDriver } from '../../../src/ingest/serial/driver.js';
import { PortSupervisor } from '../../../src/ingest/serial/port-supervisor.js';
import { SeqAllocator } from '../../../src/ingest/serial/seq-allocator.js';
import { WindowDelivery } from '../../../src/ingest/serial/window-delivery.js';
import { total } from '../../../src/obs/counters.js';
import { waitFor } from '../../helpers/wait-for.js';
import { FakeSink } from './helpers.js';

const MockBinding = SerialPortMock.binding;
/** A native close of a port: a trip to the thread pool, longer than the stream's own next-tick events. */
const NATIVE_CLOSE_MS = 5;
const PATH = '/dev/ttyFAKEDRV';

interface Recorder {
  calls: string[];
  contexts: DriverContext<{ greeting: string }>[];
}

function fakeDriver(recorder: Recorder, startResult: () => Promise<void>): SerialDriver<{ greeting: string }> {
  return {
    name: 'fake',
    title: 'a fake instrument',
    defaultBaud: 9600,
    familyName: 'serial_fake',
    sessionCounters: { chunks: total('Chunks seen.') },
    reasons: ['odd'],
    settingKeys: { greeting: 'what to write first' },
    parseSettings: (raw) => ({ greeting: raw['greeting'] ?? 'hi' }),
    open(context): DriverSession {
      recorder.contexts.push(context);
      let chunks = 0;
      return {
        data: (chunk) => {
          chunks += 1;
          recorder.calls.push(`data:${chunk.toString()}`);
        },
        start: async () => {
          recorder.calls.push('start');
          context.write(`${context.settings.greeting}\n`);
          await startResult();
        },
        stop: async () => {
          recorder.calls.push('stop');
          context.write('bye\n');
        },
        end: async () => {
          recorder.calls.push('end');
        },
        get counters() {
          return { chunks };
        },
        rejected: { odd: 1 },
        lastWindowEnd: null,
      };
    },
  };
}

let supervisor: PortSupervisor | null = null;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = null;
  MockBinding.reset();
});

function supervise(driver: SerialDriver<{ greeting: string }>, ports: SerialPortMock[]): PortSupervisor {
  supervisor = new PortSupervisor({
    path: PATH,
    baudRate: 9600,
    driver,
    settings: { greeting: 'hello' },
    portFactory: ({ path, baudRate }) => {
      const port = new SerialPortMock({ path, baudRate, autoOpen: false });
      ports.push(port);
      return port;
    },
    delivery: new WindowDelivery(new FakeSink(), new SeqAllocator(async () => 0)),
    publishPower: () => undefined,
    integrator: { windowUs: 1_000_000, maxGapUs: 100_000 },
    fixedDeviceId: null,
    silenceTimeoutMs: 60_000,
    backoff: { initialMs: 5, maxMs: 20, factor: 2, jitter: 'equal' },
    nowMs: Date.now,
    random: () => 0.5,
  });
  supervisor.start();
  return supervisor;
}

/** A supervised mock port whose driver's session has started (its handshake is `handshake`). */
async function startSession(handshake: () => Promise<void>): Promise<{ recorder: Recorder; ports: SerialPortMock[]; s: PortSupervisor }> {
  MockBinding.createPort(PATH, { echo: false, record: true });
  const recorder: Recorder = { calls: [], contexts: [] };
  const ports: SerialPortMock[] = [];
  const s = supervise(fakeDriver(recorder, handshake), ports);
  await waitFor('the session to start', () => recorder.calls.includes('start') && s.state === 'connected');
  return { recorder, ports, s };
}

/**
 * Every later write to the port fails as a write to a tty whose other end is gone (EIO). serialport then closes the
 * port as disconnected, but that close goes through the thread pool: on a real pty (socat torn down) the stream's
 * 'error' comes first, then a 'close' without an error, then the disconnect's 'close'. The mock's close is made as slow.
 */
function cutWrites(port: SerialPortMock): void {
  const gone = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', errno: -5 });
  const mock = port.port as unknown as { write(buffer: Buffer): Promise<void>; close(): Promise<void> };
  const close = mock.close.bind(mock);
  mock.write = () => Promise.reject(gone);
  mock.close = () => new Promise((resolve) => setTimeout(resolve, NATIVE_CLOSE_MS)).then(close);
}

type Recording = { recording: Buffer; emitData(data: string): void };
const binding = (port: SerialPortMock): Recording => port.port as unknown as Recording;

describe('PortSupervisor with a driver', () => {
  it('hands every chunk to the driver, writes its commands, and stops it gracefully while the port is open', async () => {
    const { recorder, ports, s } = await startSession(() => Promise.resolve());
    binding(ports[0]!).emitData('abc');
    binding(ports[0]!).emitData('def');
    // The mock may deliver both in one read: what matters is every byte, in order.
    const received = (): string =>
      recorder.calls
        .filter((c) => c.startsWith('data:'))
        .map((c) => c.slice(5))
        .join('');
    await waitFor('both chunks', () => received() === 'abcdef');
    const port = ports[0]!;
    await s.stop();
    supervisor = null;
    expect(recorder.calls.filter((c) => !c.startsWith('data:'))).toEqual(['start', 'stop', 'end']);
    expect(recorder.calls.at(-3)).toMatch(/^data:/); // every chunk before the stop
    expect(binding(port).recording.toString()).toBe('hello\nbye\n');
    const status = s.status();
    expect(status.counters).toMatchObject({ sessions: 1, bytes: 6, protocolFailures: 0, disconnects: 0, silenceTimeouts: 0 }); // a requested stop is not counted
    expect(status.counters['chunks']).toBeGreaterThanOrEqual(1);
    expect(status.rejected).toEqual({ odd: 1 });
    expect(status.details).toMatchObject({ driver: 'fake', baudRate: 9600 });
    expect(s.family.name).toBe('serial_fake');
    expect(recorder.contexts[0]!.source).toBe(`serial:${PATH}`);
  });

  it('a failed handshake ends the session as a protocol failure with its message, stops the driver, and reopens after backoff', async () => {
    MockBinding.createPort(PATH, { echo: false, record: true });
    const recorder: Recorder = { calls: [], contexts: [] };
    const s = supervise(
      fakeDriver(recorder, () => Promise.reject(new Error('expected "ack htc", got nothing'))),
      [],
    );
    await waitFor('two failed sessions', () => s.status().counters['protocolFailures']! >= 2);
    expect(s.status().lastError).toBe('expected "ack htc", got nothing');
    expect(recorder.calls.slice(0, 3)).toEqual(['start', 'stop', 'end']);
    expect(s.status().counters['sessions']).toBeGreaterThanOrEqual(2);
  });

  it('after an unplug the driver is not asked to stop (nothing can be written), only to end', async () => {
    const { recorder, ports, s } = await startSession(() => Promise.resolve());
    ports[0]!.emit('close', Object.assign(new Error('device gone'), { disconnected: true }));
    await waitFor('the session to end', () => recorder.calls.includes('end'));
    expect(recorder.calls.slice(0, 2)).toEqual(['start', 'end']); // then the port reopens: it is still there
    expect(s.status().counters['disconnects']).toBe(1);
  });

  it('a write that fails (a cable cut while the driver talks) ends the session as a counted disconnect, with its error', async () => {
    const { recorder, ports, s } = await startSession(() => new Promise<void>(() => undefined)); // a handshake waiting for its reply
    cutWrites(ports[0]!);
    recorder.contexts[0]!.write('htc\r\n');
    await waitFor('the session to end', () => recorder.calls.includes('end'));
    expect(recorder.calls.slice(0, 2)).toEqual(['start', 'end']); // nothing more can be written: no graceful stop
    expect(s.status().counters).toMatchObject({ disconnects: 1, silenceTimeouts: 0, protocolFailures: 0 });
    expect(s.status().lastError).toBe('disconnected: EIO: i/o error, write');
  });

  it('a fault the graceful stop then hits (its write fails) keeps the end’s reason first in lastError, and is counted once', async () => {
    let rejectHandshake: (error: Error) => void = () => undefined;
    const { recorder, ports, s } = await startSession(() => new Promise<void>((_, reject) => (rejectHandshake = reject)));
    cutWrites(ports[0]!);
    rejectHandshake(new Error('expected "ack htc", got nothing'));
    await waitFor('the session to end', () => recorder.calls.includes('end'));
    expect(recorder.calls.slice(0, 3)).toEqual(['start', 'stop', 'end']); // the graceful stop was tried, and its write failed
    await waitFor('the failed write reported', () => (s.status().lastError ?? '').includes('EIO'));
    expect(s.status().counters).toMatchObject({ protocolFailures: 1, disconnects: 0, silenceTimeouts: 0 });
    expect(s.status().lastError).toBe('expected "ack htc", got nothing; then EIO: i/o error, write');
  });

  it('a port closed from under the session (no error, not by the supervisor) is a counted disconnect', async () => {
    const { recorder, ports, s } = await startSession(() => Promise.resolve());
    ports[0]!.emit('close', null);
    await waitFor('the session to end', () => recorder.calls.includes('end'));
    expect(s.status().counters).toMatchObject({ disconnects: 1, silenceTimeouts: 0, protocolFailures: 0 });
    expect(s.status().lastError).toBe('disconnected: the port closed by itself');
  });
});
