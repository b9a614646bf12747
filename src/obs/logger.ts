/**
 * The logger port: what every part of the service logs through. Lines have a level, a message and structured fields
 * (a device id, a request id), never a pre-formatted string with the values baked in. The service's adapter is pino
 * (pino-logger.ts: one JSON object a line on stderr); tests pass silentLogger or a recording logger.
 */

/** Severities, most severe first (pino's names). `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured fields of a line; `err` holds an Error (its message and stack are logged). */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  /** The service cannot go on (it is about to exit). */
  fatal(message: string, fields?: LogFields): void;
  /** Something failed that an operator must look at (an internal error, a source that could not stop). */
  error(message: string, fields?: LogFields): void;
  /** Something went wrong and the service copes (a broker reconnect, input refused for redelivery). */
  warn(message: string, fields?: LogFields): void;
  /** What the service did: it listens, a source connected, a request was answered (the access log). */
  info(message: string, fields?: LogFields): void;
  /** Detail for debugging: health probes and scrapes in the access log. */
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line (`component`, `reqId`). */
  child(bindings: LogFields): Logger;
  /** Whether a line at this level would be written: skip building costly fields otherwise. */
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
  /**
   * Writes a line whose fields the caller serialised already (`"a":1,"b":"x"`: JSON members without braces, each
   * value valid JSON), for a line written so often that the generic serialisation shows in a profile (the access log).
   * The line is what `info(message, fields)` would write for the same fields in the same order. Optional: a logger
   * without it (tests' recording logger) gets the fields object instead. The caller checks isLevelEnabled first.
   */
  writeJsonFields?(level: 'info' | 'debug', message: string, fieldsJson: string): void;
  /** Lines dropped since start because the destination was too far behind (shared by a logger and its children). */
  linesDropped?(): number;
}

function noop(): void {}

/** Logs nothing: for tests and commands that report on their own. */
export const silentLogger: Logger = Object.freeze({
  fatal: noop,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  child: () => silentLogger,
  isLevelEnabled: () => false,
});

/** An Error (or anything thrown) as the `err` field, for `log.error(message, errorFields(error))`. */
export function errorFields(error: unknown): { err: unknown } {
  return { err: error };
}
