import { Counters, counterFamily, ReasonCounts, total } from '../obs/counters.js';
import type { HealthSource, SourceStatus } from '../obs/health-registry.js';

/**
 * Why the HTTP source answered a request with an error (the problem type's last segment, problem.ts), or cut a
 * connection (server.ts). Hyphenated; `embedded_broker_off` keeps the name its clients already match.
 */
export const HTTP_REJECT_REASONS = [
  'validation',
  'not-found',
  'conflict',
  'unauthorized',
  'unsupported-media-type',
  'too-large',
  'malformed-json',
  'unsupported-encoding',
  'bad-request',
  'too-many-streams',
  'embedded_broker_off',
  'unavailable',
  /** Ingest's group-commit queue was full (OverloadError): nothing stored, 503 with Retry-After. */
  'overloaded',
  'internal',
  /** The client sent its request too slowly (server.requestTimeout / headersTimeout). */
  'request-timeout',
  'header-too-large',
  /** Bytes that are no HTTP request. */
  'bad-http',
] as const;

export type HttpRejectReason = (typeof HTTP_REJECT_REASONS)[number];

export const HTTP_FAMILY = counterFamily(
  'http',
  {
    requests: total('Requests received.'),
    windowsInserted: total('Windows stored from POST /api/devices/:id/windows.'),
    windowsDuplicate: total('Windows posted again that were stored already.'),
    connectionsDropped: total('Connections closed on arrival because the server held its maximum (server.maxConnections).'),
    requestsDeferred: total("Requests answered in a later event-loop turn: their turn's handling budget was spent (turn-budget.ts)."),
    requestsAbandoned: total('Requests not handled: their client went away while they waited for a later turn.'),
  },
  HTTP_REJECT_REASONS,
);

/** Counters of the HTTP source: requests answered and rejected by reason, shown in /api/health. */
export class HttpStats implements HealthSource {
  readonly family = HTTP_FAMILY;
  private readonly counters = new Counters(HTTP_FAMILY.counters);
  private readonly rejected = new ReasonCounts(HTTP_REJECT_REASONS);
  private lastError: string | null = null;

  countRequest(): void {
    this.counters.add('requests');
  }

  countWindows(inserted: number, duplicates: number): void {
    this.counters.add('windowsInserted', inserted);
    this.counters.add('windowsDuplicate', duplicates);
  }

  countDeferredRequest(): void {
    this.counters.add('requestsDeferred');
  }

  countAbandonedRequest(): void {
    this.counters.add('requestsAbandoned');
  }

  countDroppedConnection(): void {
    this.counters.add('connectionsDropped');
  }

  reject(reason: HttpRejectReason, message: string): void {
    this.rejected.count(reason);
    this.lastError = message;
  }

  status(): SourceStatus {
    return {
      name: 'http',
      kind: 'http',
      state: 'listening',
      counters: this.counters.snapshot(),
      rejected: this.rejected.snapshot(),
      lastError: this.lastError,
    };
  }
}
