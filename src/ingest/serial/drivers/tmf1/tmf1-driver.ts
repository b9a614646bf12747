/**
 * The TMF1 driver: boards that print firmware-protocol lines (firmware-protocol/SPEC.md). Read-only: it writes
 * nothing, so its handshake is immediate and its stop is empty. Framing is newline-delimited, each line capped at
 * MAX_LINE_BYTES by the LineLengthGuard before ReadlineParser; the lines go to a LineSession (pre-hello buffering,
 * sample vs W energy source, the SampleTimeline).
 */
import { ReadlineParser } from '@serialport/parser-readline';
import { ConfigError } from '../../../../domain/errors.js';
import { Counters, total, type CounterSpecs } from '../../../../obs/counters.js';
import { MAX_LINE_BYTES } from '../../../../protocol/limits.js';
import type { DriverContext, DriverSession, SerialDriver, WindowEnd } from '../../driver.js';
import { LineLengthGuard } from '../../line-length-guard.js';
import { LINE_SESSION_COUNTERS, LineSession, SERIAL_REJECT_REASONS } from '../../line-session.js';

/** Bits/s: the Arduino / ST-LINK VCP default; USB CDC ignores it, UART bridges need it to match. */
export const TMF1_DEFAULT_BAUD = 115_200;

const FRAMING_COUNTERS = {
  bytesDropped: total('Bytes discarded by the line-length guard (lines over MAX_LINE_BYTES).', 'bytes'),
  partialLinesDiscarded: total('Unterminated line tails discarded at the end of a session.'),
} as const satisfies CounterSpecs<string>;

export const TMF1_SESSION_COUNTERS = { ...FRAMING_COUNTERS, ...LINE_SESSION_COUNTERS } as const satisfies CounterSpecs<string>;

class Tmf1Session implements DriverSession {
  private readonly guard = new LineLengthGuard(MAX_LINE_BYTES);
  private readonly parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  private readonly framing = new Counters(FRAMING_COUNTERS);
  private readonly lines: LineSession;

  constructor(context: DriverContext<Record<string, never>>) {
    this.lines = new LineSession(
      {
        source: context.source,
        integrator: context.integrator,
        fixedDeviceId: context.fixedDeviceId,
        nowMs: context.nowMs,
        previousWindowEnd: context.previousWindowEnd,
      },
      { device: (hello) => context.device(hello), windows: (windows) => context.windows(windows), power: (...args) => context.power(...args) },
    );
    // A fresh guard and parser per session: parser state must not survive a reconnect (serialport #885).
    this.parser.on('data', (line: string) => this.lines.handleLine(line));
    this.guard.pipe(this.parser);
  }

  get counters(): Record<string, number> {
    return { ...this.framing.snapshot(), bytesDropped: this.guard.droppedBytes, ...this.lines.counters };
  }

  get rejected(): Record<string, number> {
    return this.lines.rejected;
  }

  get lastWindowEnd(): WindowEnd | null {
    return this.lines.lastWindowEnd;
  }

  data(chunk: Buffer): void {
    this.guard.write(chunk);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async end(): Promise<void> {
    // Let lines already inside the guard → parser pipe reach the session before it is closed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // The unterminated tail (if any) is discarded, never glued to the next session's first line.
    if (this.guard.pendingLineBytes > 0) this.framing.add('partialLinesDiscarded');
    this.lines.end();
    this.guard.unpipe(this.parser);
    this.guard.destroy();
    this.parser.destroy();
  }
}

export const tmf1Driver: SerialDriver<Record<string, never>> = {
  name: 'tmf1',
  title: 'a board printing TMF1 lines (firmware-protocol/SPEC.md)',
  defaultBaud: TMF1_DEFAULT_BAUD,
  familyName: 'serial_port',
  sessionCounters: TMF1_SESSION_COUNTERS,
  reasons: SERIAL_REJECT_REASONS,
  settingKeys: {},
  parseSettings(raw) {
    const keys = Object.keys(raw);
    if (keys.length > 0) throw new ConfigError(`serial: driver tmf1 takes no instrument settings, got "${keys.join('", "')}"`);
    return {};
  },
  open: (context) => new Tmf1Session(context),
};
