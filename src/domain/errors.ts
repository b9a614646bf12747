/** The few error classes of the service. Each has a literal `code` mapped to an HTTP status in one place. */

export class ValidationError extends Error {
  readonly code = 'validation' as const;
  constructor(message: string, readonly details: readonly string[] = []) {
    super(message);
    this.name = 'ValidationError';
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
