import pino, { type Logger as PinoInstance } from 'pino';
import type { LogFields, Logger, LogLevel } from './logger.js';

export interface PinoLoggerOptions {
  level: LogLevel;
  /** File descriptor (default 2, stderr) or a stream (tests). */
  destination?: number | NodeJS.WritableStream;
}

/**
 * Bytes of log lines gathered before a write to the file descriptor: about 16 access-log lines. Each write is an
 * fs.write on libuv's thread pool, about 55 µs of the process's CPU whatever its size (bench: 127 µs per line written
 * alone, 77 µs gathered, at one line per event-loop turn); with 0, a line was written as soon as the previous write
 * returned, so at a few thousand requests a second most access-log lines paid a write of their own.
 */
export const MIN_WRITE_BYTES = 4096;
/**
 * Milliseconds a line may wait for MIN_WRITE_BYTES before it is written anyway: lines of an idle service still appear
 * at once to a reader. sonic-boom's own `periodicFlush` (an unref'd timer, cleared when the destination closes) tries
 * at every tick, so lines gathered during a slow write (a pipe whose reader is behind) go out at the first tick after
 * it; an idle tick costs a write of nothing. pino writes what is buffered synchronously when the process exits.
 */
export const LOG_FLUSH_INTERVAL_MS = 100;

/** The service's logger: pino, one JSON object per line (`level`, `time`, `msg`, the fields), on stderr by default. */
export function pinoLogger(options: PinoLoggerOptions): Logger {
  const settings = { level: options.level, base: { pid: process.pid }, timestamp: isoTimeOncePerMs };
  const destination =
    typeof options.destination === 'object'
      ? options.destination
      : pino.destination({ dest: options.destination ?? 2, sync: false, minLength: MIN_WRITE_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
  return adapt(pino(settings, destination));
}

/**
 * pino's isoTime (`,"time":"2026-12-02T03:00:00.000Z"`), formatted once per millisecond: a Date and toISOString cost
 * about 1.5 µs a line, and at thousands of access-log lines a second most lines share their millisecond with another.
 */
let isoTimeMs = Number.NaN;
let isoTimeText = '';
function isoTimeOncePerMs(): string {
  const nowMs = Date.now();
  if (nowMs !== isoTimeMs) {
    isoTimeMs = nowMs;
    isoTimeText = `,"time":"${new Date(nowMs).toISOString()}"`;
  }
  return isoTimeText;
}

/** The port over a pino instance. */
function adapt(instance: PinoInstance): Logger {
  const at =
    (level: 'fatal' | 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, fields?: LogFields): void => {
      if (fields === undefined) instance[level](message);
      else instance[level](fields, message);
    };
  return {
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (bindings) => adapt(instance.child(bindings)),
    isLevelEnabled: (level) => instance.isLevelEnabled(level),
  };
}
