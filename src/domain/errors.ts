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
