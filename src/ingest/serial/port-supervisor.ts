/**
 * One supervisor per serial port (node-serialport has no reconnect of its own, #648, and its parser state outlives a
 * flush, #885): a new port and a new parser for every session, a data-silence watchdog, capped exponential backoff
 * with equal jitter between sessions, and a status for /api/health.
 */
import { ReadlineParser } from '@serialport/parser-readline';
import { MAX_LINE_BYTES } from '../../protocol/limits.js';
import { Counters, counterFamily, ReasonCounts, sumCounts, total, type CounterSpecs } from '../../obs/counters.js';
import type { HealthSource, SourceStatus } from '../../obs/health-registry.js';
import type { IntegratorConfig } from '../integrate/energy-integrator.js';
import { Backoff } from '../../util/backoff.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import { LineLengthGuard } from './line-length-guard.js';
import { LINE_SESSION_COUNTERS, LineSession, SERIAL_REJECT_REASONS } from './line-session.js';
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
  disconnects: total('Sessions ended by the device going away (USB unplug).'),
  silenceTimeouts: total('Sessions ended by the watchdog: no byte for the silence timeout.'),
  bytes: total('Bytes read from the port.', 'bytes'),
  bytesDropped: total('Bytes discarded by the line-length guard (lines over MAX_LINE_BYTES).', 'bytes'),
  partialLinesDiscarded: total('Unterminated line tails discarded at the end of a session.'),
} as const satisfies CounterSpecs<string>;

/** A serial port's health: the supervisor's, its sessions' (summed) and its delivery's counters, and the sessions' rejections. */
export const SERIAL_PORT_FAMILY = counterFamily('serial_port', { ...PORT_COUNTERS, ...LINE_SESSION_COUNTERS, ...DELIVERY_COUNTERS }, SERIAL_REJECT_REASONS);

export interface PortSupervisorOptions {
  path: string;
  baudRate: number;
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

type SessionEnd = 'closed' | 'disconnected' | 'silence' | 'error' | 'stopped';

export class PortSupervisor implements HealthSource {
  readonly family = SERIAL_PORT_FAMILY;
  state: PortState = 'connecting';
  lastError: string | null = null;
  deviceId: string | null;
  private readonly totals = new Counters(PORT_COUNTERS);
  /** Counters and rejections of finished sessions, summed; the live session's are added in status(). */
  private readonly pastSessions = new Counters(LINE_SESSION_COUNTERS);
  private readonly pastRejections = new ReasonCounts(SERIAL_REJECT_REASONS);
  private session: LineSession | null = null;
  private guard: LineLengthGuard | null = null;
  private isStopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private endSession: ((reason: SessionEnd) => void) | null = null;
  private board: string | null = null;
  private firmware: string | null = null;
  /** Host time of the last byte read (any session), ms; null before the first. */
  private lastByteMs: number | null = null;
  /** Where the last session's last window ended: the next session's windows of that device start after it. */
  private lastWindowEnd: { deviceId: string; endMs: number } | null = null;

  constructor(private readonly options: PortSupervisorOptions) {
    this.deviceId = options.fixedDeviceId;
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
    if (this.guard !== null) port.bytesDropped += this.guard.droppedBytes;
    const delivery = this.options.delivery;
    const counters = { ...port, ...sessions, ...delivery.counters };
    const rejected = new ReasonCounts(SERIAL_REJECT_REASONS);
    rejected.addAll(this.pastRejections.snapshot());
    if (this.session !== null) rejected.addAll(this.session.rejected);
    return {
      name: this.name,
      kind: 'serial',
      state: this.state,
      counters,
      rejected: rejected.snapshot(),
      lastError: joinErrors(this.lastError, delivery.lastError),
      details: {
        path: this.options.path,
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
    const session = new LineSession(
      {
        source: this.name,
        integrator: this.options.integrator,
        fixedDeviceId: this.options.fixedDeviceId,
        nowMs: this.options.nowMs,
        previousWindowEnd: this.lastWindowEnd,
      },
      {
        device: (hello) => {
          this.deviceId = hello.deviceId;
          this.board = hello.board ?? this.board;
          this.firmware = hello.firmware ?? this.firmware;
          delivery.announce(hello);
        },
        windows: (windows) => delivery.submit(windows),
        power: this.options.publishPower,
      },
    );
    // A fresh guard and parser per session: parser state must not survive a reconnect (serialport #885).
    const guard = new LineLengthGuard(MAX_LINE_BYTES);
    const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
    this.session = session;
    this.guard = guard;
    let lastByteMs = this.options.nowMs();
    port.on('data', (chunk: Buffer) => {
      lastByteMs = this.options.nowMs();
      this.lastByteMs = lastByteMs;
      this.totals.add('bytes', chunk.length);
    });
    parser.on('data', (line: string) => session.handleLine(line));
    port.pipe(guard).pipe(parser);

    const reason = await new Promise<SessionEnd>((resolve) => {
      let isDone = false;
      const finish = (why: SessionEnd): void => {
        if (isDone) return;
        isDone = true;
        clearInterval(watchdog);
        this.endSession = null;
        resolve(why);
      };
      this.endSession = finish;
      const silenceMs = this.options.silenceTimeoutMs;
      const watchdog = setInterval(() => {
        if (this.options.nowMs() - lastByteMs > silenceMs) finish('silence');
      }, silenceMs / WATCHDOG_CHECKS_PER_TIMEOUT);
      port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
        if (error?.disconnected === true) {
          this.lastError = `disconnected: ${error.message}`;
          finish('disconnected');
        } else {
          finish('closed');
        }
      });
      port.on('error', (error: Error) => {
        this.lastError = error.message;
        finish('error');
      });
    });

    if (reason === 'disconnected') this.totals.add('disconnects');
    if (reason === 'silence') {
      this.totals.add('silenceTimeouts');
      this.lastError = `no data for ${this.options.silenceTimeoutMs} ms`;
    }
    port.unpipe(guard);
    guard.unpipe(parser);
    await closeQuietly(port);
    // Let lines already inside the guard → parser pipe reach the session before it is closed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    port.removeAllListeners('data');
    // The unterminated tail (if any) is discarded, never glued to the next session's first line.
    if (guard.pendingLineBytes > 0) this.totals.add('partialLinesDiscarded');
    session.end();
    this.lastWindowEnd = session.lastWindowEnd ?? this.lastWindowEnd;
    this.retire(session, guard);
    guard.destroy();
    parser.destroy();
    return true;
  }

  private retire(session: LineSession, guard: LineLengthGuard): void {
    const counters = session.counters;
    for (const key of Object.keys(counters) as (keyof typeof counters)[]) this.pastSessions.add(key, counters[key]);
    this.pastRejections.addAll(session.rejected);
    this.totals.add('bytesDropped', guard.droppedBytes);
    this.session = null;
    this.guard = null;
  }
}

/** The port's last error and the delivery's, both when there are both (a delivery failure must not hide behind a replug). */
function joinErrors(portError: string | null, deliveryError: string | null): string | null {
  if (portError === null) return deliveryError;
  if (deliveryError === null) return portError;
  return `${portError}; delivery: ${deliveryError}`;
}

async function closeQuietly(port: SerialPortLike): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}
