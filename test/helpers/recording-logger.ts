import type { LogFields, Logger, LogLevel } from '../../src/obs/logger.js';

export interface LogLine {
  level: Exclude<LogLevel, 'silent'>;
  message: string;
  fields: LogFields;
}

/** A logger that keeps every line (children add their bindings): tests assert on what the service logged. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: LogFields = {},
  ) {}

  fatal(message: string, fields?: LogFields): void {
    this.record('fatal', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.record('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.record('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.record('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.record('debug', message, fields);
  }
  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }
  isLevelEnabled(): boolean {
    return true;
  }

  /** The messages, one per line, for a quick `toMatch`. */
  messages(): string[] {
    return this.lines.map((line) => line.message);
  }

  private record(level: LogLine['level'], message: string, fields: LogFields | undefined): void {
    this.lines.push({ level, message, fields: { ...this.bindings, ...fields } });
  }
}
