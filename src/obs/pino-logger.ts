import pino, { type Logger as PinoInstance } from 'pino';
import type { LogFields, Logger, LogLevel } from './logger.js';

export interface PinoLoggerOptions {
  level: LogLevel;
  /** File descriptor (default 2, stderr) or a stream (tests). */
  destination?: number | NodeJS.WritableStream;
}

/**
 * Bytes of log lines buffered before a write to the file descriptor. 0: a line is written as soon as the previous
 * write returned, so an idle service's lines appear at once, while lines logged during one busy write share the next
 * one (the access log at thousands of requests a second). pino flushes what is buffered when the process exits.
 */
const MIN_WRITE_BYTES = 0;

/** The service's logger: pino, one JSON object per line (`level`, `time`, `msg`, the fields), on stderr by default. */
export function pinoLogger(options: PinoLoggerOptions): Logger {
  const destination =
    typeof options.destination === 'object'
      ? options.destination
      : pino.destination({ dest: options.destination ?? 2, sync: false, minLength: MIN_WRITE_BYTES });
  return adapt(pino({ level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination));
}

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
