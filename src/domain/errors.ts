/** The few error classes of the service. Each has a literal `code` mapped to an HTTP status in one place. */
import type { RefusedWindow } from './types.js';

export class ValidationError extends Error {
  readonly code = 'validation' as const;
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/**
 * The store refused windows of a batch appended with `onRefusal: 'refuse-batch'` and stored none of it. A
 * ValidationError, so HTTP answers 400 with one line per refused window, as for implausible windows.
 */
export class WindowRefusedError extends ValidationError {
  constructor(readonly refused: readonly RefusedWindow[]) {
    super(
      `${refused.length} window${refused.length === 1 ? '' : 's'} refused by the window rules (SPEC.md §7); nothing of the batch was stored`,
      refused.map((window) => `windows.${window.index}: reason: ${window.reason}: ${window.detail}`),
    );
    this.name = 'WindowRefusedError';
  }
}

export class NotFoundError extends Error {
  readonly code = 'not_found' as const;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  readonly code = 'conflict' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class StoreClosedError extends Error {
  readonly code = 'store_closed' as const;
  constructor() {
    super('store is closed');
    this.name = 'StoreClosedError';
  }
}

export class ConfigError extends Error {
  readonly code = 'config' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * A networked store (InfluxDB) could not be reached or did not answer in time, or answered 5xx: nothing is known to
 * be written. Transient: the caller retries with backoff (the outbox writer does).
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable' as const;
  readonly transient = true as const;
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A networked store refused a request for what it holds (InfluxDB 4xx: a field type conflict, a missing database, bad
 * credentials): retrying the same request fails the same way until an operator acts. Permanent.
 */
export class StoreRejectedError extends Error {
  readonly code = 'store_rejected' as const;
  readonly transient = false as const;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'StoreRejectedError';
  }
}
