/**
 * One supervisor per serial port (node-serialport has no reconnect of its own, #648, and its parser state outlives a
 * flush, #885): a new port and a new driver session for every open, a data-silence watchdog, capped exponential
 * backoff with equal jitter between sessions, and a status for /api/health. What is spoken on the port is the
 * driver's (driver.ts: framing, handshake, graceful stop); reconnect, backoff, watchdog and health are the supervisor's.
 */
import { Counters, counterFamily, ReasonCounts, sumCounts, total, type CounterFamily, type CounterSpecs } from '../../obs/counters.js';
import type { HealthSource, SourceStatus } from '../../obs/health-registry.js';
import type { IntegratorConfig } from '../integrate/energy-integrator.js';
import { Backoff } from '../../util/backoff.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import { DRIVER_STOP_TIMEOUT_MS, type AnySerialDriver, type DriverSession, type WindowEnd } from './driver.js';
import { tmf1Driver } from './drivers/tmf1/tmf1-driver.js';
import type { PortFactory, SerialPortLike } from './port-factory.js';
import { DELIVERY_COUNTERS, type WindowDelivery } from './window-delivery.js';

/**
 * Reopen schedule: 250 ms first retry (a replugged board enumerates in ~0.5–1 s), doubling, capped at 10 s so a replug
 * is noticed quickly; equal jitter (util/backoff.ts: a local port has no crowd to spread, and the floor keeps a port
 * that fails at once, ENOENT while unplugged, from being reopened in a tight loop).
 */
export const SERIAL_RECONNECT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ initialMs: 250, maxMs: 10_000, factor: 2, jitter: 'equal' });

/** The watchdog checks 4× per silence timeout, so silence is detected within 1.25 timeouts. */
const WATCHDOG_CHECKS_PER_TIMEOUT = 4;

export type PortState = 'connecting' | 'connected' | 'backoff' | 'stopped';

/** What the supervisor itself counts, across the sessions of its port. */
export const PORT_COUNTERS = {
  sessions: total('Sessions: opens of the port that succeeded.'),
  reconnects: total('Reopen attempts after a session ended or an open failed.'),
  openFailures: total('Opens of the port that failed (absent, busy, no permission).'),
  disconnects: total(
    "Sessions ended by the port going away (USB unplug, a cut cable): its close, or a failed write or read (the port's lastError says which).",
  ),
  silenceTimeouts: total('Sessions ended by the watchdog: no byte for the silence timeout (a hung link, or a cut cable whose close never came).'),
  bytes: total('Bytes read from the port.', 'bytes'),
  protocolFailures: total("Sessions ended by the driver: a failed handshake or a fatal protocol error (the port's lastError says which)."),
} as const satisfies CounterSpecs<string>;

/** A serial port's health: the supervisor's, its driver sessions' (summed) and its delivery's counters, and the sessions' rejections. */
export function serialPortFamily(driver: AnySerialDriver): CounterFamily {
  return counterFamily(driver.familyName, { ...PORT_COUNTERS, ...driver.sessionCounters, ...DELIVERY_COUNTERS }, driver.reasons);
}

/** The family of a TMF1 board's port. */
export const SERIAL_PORT_FAMILY = serialPortFamily(tmf1Driver);

export interface PortSupervisorOptions {
  path: string;
  baudRate: number;
  driver: AnySerialDriver;
  /** The port's instrument settings, parsed by the same driver (driver.parseSettings). */
  settings: unknown;
  portFactory: PortFactory;
  delivery: WindowDelivery;
  /** Live power; already decimated to ≤ 10 Hz by the session. */
  publishPower: (deviceId: string, tMs: number, powerW: number) => void;
  integrator: IntegratorConfig;
  fixedDeviceId: string | null;
  /** No byte for this long ⇒ the session is closed and reopened (a hung USB CDC link often never fires `close`). */
  silenceTimeoutMs: number;
  backoff: BackoffPolicy;
  nowMs: () => number;
  random: () => number;
}

type SessionEnd = 'closed' | 'disconnected' | 'silence' | 'error' | 'stopped' | 'failed';

/**
 * The counter each end of a session adds one to: every end but a requested stop is counted (nothing ends unseen). A
 * port error is a failed write (serialport treats a failed read or write as a disconnect, and the stream's 'error'
 * comes before that close): the port went away, as when it closes by itself.
 */
const END_COUNTERS: Readonly<Record<SessionEnd, keyof typeof PORT_COUNTERS | null>> = {
  disconnected: 'disconnects',
  closed: 'disconnects',
  error: 'disconnects',
  silence: 'silenceTimeouts',
  failed: 'protocolFailures',
  stopped: null,
};

/** Ends after which the port is still there to write to: the driver's graceful stop runs before it is closed. */
const WRITABLE_ENDS: ReadonlySet<SessionEnd> = new Set(['stopped', 'silence', 'failed']);

export class PortSupervisor implements HealthSource {
  readonly family: CounterFamily;
  state: PortState = 'connecting';
  lastError: string | null = null;
  deviceId: string | null;
  private readonly totals = new Counters(PORT_COUNTERS);
  /** Counters and rejections of finished sessions, summed; the live session's are added in status(). */
  private readonly pastSessions: Counters<string>;
  private readonly pastRejections: ReasonCounts<string>;
  private session: DriverSession | null = null;
  private isStopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private endSession: ((reason: SessionEnd) => void) | null = null;
  private board: string | null = null;
  private firmware: string | null = null;
  /** Host time of the last byte read (any session), ms; null before the first. */
  private lastByteMs: number | null = null;
  /** Where the last session's last window ended: the next session's windows of that device start after it. */
  private lastWindowEnd: WindowEnd | null = null;

  constructor(private readonly options: PortSupervisorOptions) {
    this.deviceId = options.fixedDeviceId;
    this.family = serialPortFamily(options.driver);
    this.pastSessions = new Counters(options.driver.sessionCounters);
    this.pastRejections = new ReasonCounts(options.driver.reasons);
  }

  get name(): string {
    return `serial:${this.options.path}`;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop reading, close the port, flush the open window and wait for its delivery. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.wake?.();
    this.endSession?.('stopped');
    await this.loop;
    await this.options.delivery.idle();
    this.state = 'stopped';
  }

  status(): SourceStatus {
    const sessions = this.session === null ? this.pastSessions.snapshot() : sumCounts(this.pastSessions.snapshot(), this.session.counters);
    const port = this.totals.snapshot();
    const delivery = this.options.delivery;
    const counters = { ...port, ...sessions, ...delivery.counters };
    const rejected = new ReasonCounts(this.options.driver.reasons);
    rejected.addAll(this.pastRejections.snapshot());
    if (this.session !== null) rejected.addAll(this.session.rejected);
    return {
      name: this.name,
      kind: 'serial',
      state: this.state,
      counters,
      rejected: rejected.snapshot() as Record<string, number>, // only the reasons counted, all of the driver's list
      lastError: joinErrors(this.lastError, delivery.lastError),
      details: {
        path: this.options.path,
        driver: this.options.driver.name,
        baudRate: this.options.baudRate,
        deviceId: this.deviceId,
        board: this.board,
        firmware: this.firmware,
        lastByteMs: this.lastByteMs,
      },
    };
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.options.backoff, this.options.random);
    while (!this.isStopped) {
      this.state = 'connecting';
      const wasOpened = await this.runSession();
      if (this.isStopped) break;
      if (wasOpened) backoff.reset();
      this.state = 'backoff';
      await this.sleep(backoff.nextDelayMs());
      if (!this.isStopped) this.totals.add('reconnects');
    }
    this.state = 'stopped';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Called by the timer or by wake(), both after `timer` is set.
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** One session: open, read until close / error / silence / stop, then tear everything down. True if it opened. */
  private async runSession(): Promise<boolean> {
    const { path, baudRate } = this.options;
    let port: SerialPortLike;
    try {
      port = this.options.portFactory({ path, baudRate });
      await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      this.totals.add('openFailures');
      this.lastError = `open: ${error instanceof Error ? error.message : String(error)}`;
      return false;
    }
    if (this.isStopped) {
      await closeQuietly(port);
      return true;
    }
    this.totals.add('sessions');
    this.state = 'connected';
    // Another board may be plugged in at this path now: nothing learned from the last session's hello carries over,
    // so samples before this session's first hello are rejected `before_hello` (SPEC §4.1), not booked to the old id.
    this.deviceId = this.options.fixedDeviceId;
    this.board = null;
    this.firmware = null;
    const delivery = this.options.delivery;
    let fail: ((message: string) => void) | null = null;
    const session = this.options.driver.open({
      source: this.name,
      path,
      settings: this.options.settings,
      fixedDeviceId: this.options.fixedDeviceId,
      integrator: this.options.integrator,
      nowMs: this.options.nowMs,
      previousWindowEnd: this.lastWindowEnd,
      write: (data) => {
        // A failed write is reported by the port's 'error' event (the session ends with it); the callback keeps it
        // from being thrown as well.
        if (port.isOpen) port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), () => undefined);
      },
      fail: (message) => fail?.(message),
      device: (hello) => {
        this.deviceId = hello.deviceId;
        this.board = hello.board ?? this.board;
        this.firmware = hello.firmware ?? this.firmware;
        delivery.announce(hello);
      },
      windows: (windows) => delivery.submit(windows),
      power: this.options.publishPower,
    });
    this.session = session;
    let lastByteMs = this.options.nowMs();
    port.on('data', (chunk: Buffer) => {
      lastByteMs = this.options.nowMs();
      this.lastByteMs = lastByteMs;
      this.totals.add('bytes', chunk.length);
      session.data(chunk);
    });

    const reason = await new Promise<SessionEnd>((resolve) => {
      let endedBy: SessionEnd | null = null;
      const finish = (why: SessionEnd): void => {
        if (endedBy !== null) return;
        endedBy = why;
        clearInterval(watchdog);
        this.endSession = null;
        fail = null;
        resolve(why);
      };
      this.endSession = finish;
      fail = (message) => {
        this.lastError = message;
        finish('failed');
      };
      const silenceMs = this.options.silenceTimeoutMs;
      const watchdog = setInterval(() => {
        if (this.options.nowMs() - lastByteMs > silenceMs) finish('silence');
      }, silenceMs / WATCHDOG_CHECKS_PER_TIMEOUT);
      // What the port reports after the session ended by a fault (the graceful stop's write failing on a cut cable)
      // follows that fault's reason, which the counters hold, instead of replacing it.
      // (one failure often comes twice: the failed write's error, then serialport's disconnect close with its message)
      const noteError = (message: string, cause: string): void => {
        if (endedBy === null || endedBy === 'stopped' || this.lastError === null) this.lastError = message;
        else if (!this.lastError.includes(cause)) this.lastError = `${this.lastError}; then ${message}`;
      };
      port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
        if (error?.disconnected === true) {
          noteError(`disconnected: ${error.message}`, error.message);
          finish('disconnected');
        } else if (endedBy === null) {
          // Not the supervisor's own close (that comes after the end): the port was closed from under the session.
          this.lastError = 'disconnected: the port closed by itself';
          finish('closed');
        }
      });
      port.on('error', (error: Error) => {
        noteError(endedBy !== null ? error.message : `disconnected: ${error.message}`, error.message);
        finish('error');
      });
      session.start().then(
        () => undefined,
        (error: unknown) => fail?.(error instanceof Error ? error.message : String(error)),
      );
    });

    const counter = END_COUNTERS[reason];
    if (counter !== null) this.totals.add(counter);
    if (reason === 'silence') this.lastError = `no data for ${this.options.silenceTimeoutMs} ms`;
    if (WRITABLE_ENDS.has(reason) && port.isOpen) {
      // The driver's last commands (an LPM01A's `hrc`) must leave before the close, which would cancel them.
      await withTimeout(
        session.stop().then(() => drain(port)),
        DRIVER_STOP_TIMEOUT_MS,
      );
    }
    await closeQuietly(port);
    port.removeAllListeners('data');
    await session.end();
    this.lastWindowEnd = session.lastWindowEnd ?? this.lastWindowEnd;
    this.retire(session);
    return true;
  }

  private retire(session: DriverSession): void {
    const counters = session.counters;
    for (const key of Object.keys(counters)) this.pastSessions.add(key, counters[key] ?? 0);
    this.pastRejections.addAll(session.rejected);
    this.session = null;
  }
}

/** Waits for `work`, at most `ms` (a driver's stop that never hears back must not hold the port open). */
async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The port's last error and the delivery's, both when there are both (a delivery failure must not hide behind a replug). */
function joinErrors(portError: string | null, deliveryError: string | null): string | null {
  if (portError === null) return deliveryError;
  if (deliveryError === null) return portError;
  return `${portError}; delivery: ${deliveryError}`;
}

/** Waits until what was written has been handed to the OS; never rejects (a port that fails now is closed anyway). */
function drain(port: SerialPortLike): Promise<void> {
  return new Promise<void>((resolve) => port.drain(() => resolve()));
}

async function closeQuietly(port: SerialPortLike): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}
