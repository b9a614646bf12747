import pino, { type Logger as PinoInstance } from 'pino';
import type { LogFields, Logger, LogLevel } from './logger.js';

export interface PinoLoggerOptions {
  level: LogLevel;
  /** File descriptor (default 2, stderr) or a stream (tests). */
  destination?: number | NodeJS.WritableStream;
  /** For a file descriptor: bytes held before lines are dropped (default MAX_BUFFERED_LOG_BYTES; tests make it small; 0: no bound). */
  maxBufferedBytes?: number;
}

/**
 * Bytes of log lines held while the file descriptor takes them slower than the service writes them (a pipe whose
 * reader stalled, a full disk): about 40 000 access-log lines, seconds of a busy service. Past it a line is dropped and
 * counted (linesDropped: /api/health's `log` source, /metrics), so a stalled reader costs lines, never the heap.
 */
export const MAX_BUFFERED_LOG_BYTES = 8 * 1024 * 1024;

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
  const dropped = { lines: 0 };
  const destination =
    typeof options.destination === 'object'
      ? options.destination
      : fdDestination(options.destination ?? 2, options.maxBufferedBytes ?? MAX_BUFFERED_LOG_BYTES, () => (dropped.lines += 1));
  return adapt(pino(settings, destination), dropped);
}

/**
 * A file descriptor as pino's destination: sonic-boom gathering lines as Buffers (`contentMode: 'buffer'`). In its
 * default string mode sonic-boom appends each line to the string it gathers and measures that whole string's UTF-8
 * length again at every line (the string is a fresh concatenation each time, so V8 flattens and scans up to 16 KiB
 * per line): about 0.9 µs of an access-log line's 3 (bench/access-log.ts, --cpu-prof). As Buffers it keeps each
 * batch's length as a number and copies a batch once, when it writes; a line costs its own encoding. pino.destination
 * still registers the exit flush (flushSync at `exit`) and drops EPIPE as for any sonic-boom it makes.
 */
function fdDestination(
  fd: number,
  maxBufferedBytes: number,
  onDrop: () => void,
): { write(line: string): boolean; flush(callback?: (error?: Error) => void): void; flushSync(): void } {
  const boom = pino.destination({
    dest: fd,
    sync: false,
    minLength: MIN_WRITE_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
    contentMode: 'buffer',
    maxLength: maxBufferedBytes,
  });
  // sonic-boom 4.2 refuses a line in one place only, its Buffer-mode write() when the bytes held (those of the write
  // under way included) would pass maxLength, and emits 'drop' there for each line (index.js 348-350); its writes,
  // partial writes and EAGAIN retries keep every line. One gap is not counted: on a non-blocking fd (a pipe becomes one
  // once process.stderr is touched), the unwritten rest of a write under way, waiting for its EAGAIN retry (index.js
  // 177-191, `_writing` stays true), is skipped by the exit flush (flushBufferSync re-queues `_writingBuf` only when not
  // `_writing`, 600-603): up to MAX_WRITE (16 KiB) of lines lost at exit if the reader is behind then.
  boom.on('drop', onDrop);
  // flushSync: pino's fatal() writes what is buffered synchronously when its stream has it (the process may be about to die).
  return {
    write: (line) => boom.write(Buffer.from(line) as unknown as string),
    flush: (callback) => boom.flush(callback),
    flushSync: () => boom.flushSync(),
  };
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

/**
 * The port over a pino instance. writeJsonFields writes what pino's own `info(fields, message)` writes (`{"level":30`,
 * the time, the bindings (`,"pid":…,"component":"http"`), the fields, `,"msg":…}` and a newline) straight to the
 * instance's destination, from pino's documented symbols: a sonic-boom or a plain stream here, neither needing pino's
 * per-line metadata (that is multistream's). test/http/access-line.test.ts compares the two lines.
 */
function adapt(instance: PinoInstance, dropped: { readonly lines: number }): Logger {
  const at =
    (level: 'fatal' | 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, fields?: LogFields): void => {
      if (fields === undefined) instance[level](message);
      else instance[level](fields, message);
    };
  const internals = instance as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as { write(line: string): unknown };
  const bindings = internals[pino.symbols.chindingsSym] as string;
  const lineStart = { info: `{"level":${instance.levels.values['info']}`, debug: `{"level":${instance.levels.values['debug']}` };
  let lastMessage = '';
  let lastMessageJson = '""';
  return {
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (childBindings) => adapt(instance.child(childBindings), dropped),
    linesDropped: () => dropped.lines,
    isLevelEnabled: (level) => instance.isLevelEnabled(level),
    writeJsonFields: (level, message, fieldsJson) => {
      if (message !== lastMessage) {
        lastMessage = message;
        lastMessageJson = JSON.stringify(message);
      }
      stream.write(`${lineStart[level]}${isoTimeOncePerMs()}${bindings},${fieldsJson},"msg":${lastMessageJson}}\n`);
    },
  };
}
