import { counterFamily, total } from './counters.js';
import type { HealthSource, SourceStatus } from './health-registry.js';
import type { Logger } from './logger.js';

export const LOG_FAMILY = counterFamily('log', {
  linesDropped: total('Log lines dropped because the destination was too far behind (pino-logger.ts MAX_BUFFERED_LOG_BYTES).'),
});

/** The service's log as a health source: lines its destination could not take, so that no drop is silent. */
export class LogHealth implements HealthSource {
  readonly family = LOG_FAMILY;

  constructor(private readonly log: Logger) {}

  status(): SourceStatus {
    const linesDropped = this.log.linesDropped?.() ?? 0;
    return { name: 'log', kind: 'log', state: 'writing', counters: { linesDropped }, rejected: {}, lastError: null };
  }
}
