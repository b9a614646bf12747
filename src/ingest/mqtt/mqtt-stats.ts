/** Counters of one MQTT source (reader or embedded broker), shown per source in GET /api/health. */
import type { SourceStatus } from '../../obs/health-registry.js';

/** Reasons beyond the protocol's parse reasons (src/protocol/messages.ts PARSE_REASONS). */
export type MqttRejectReason =
  | 'bad_topic'
  | 'topic_mismatch'
  | 'acl'
  | 'bad_credentials'
  /** An authenticated device connected with a client id that is not its own (embedded broker; CONNACK 2). */
  | 'bad_client_id'
  | 'store_rejected'
  | 'overload'
  /** Dropped by the ingest service's plausibility check (unit mistake, unset clock); acked, not retried. */
  | 'implausible'
  | string;

export interface MqttCounters {
  /** Every PUBLISH handed to the service (any kind). */
  messages: number;
  windowsInserted: number;
  duplicates: number;
  hellos: number;
  samples: number;
  statusMessages: number;
  events: number;
  /** Windows whose ack was withheld because storing failed (redelivered by the broker). */
  storeFailures: number;
  reconnects: number;
  connects: number;
  /** PUBACKs sent by the reader (each after its window was stored). */
  acks: number;
  /** Device connections accepted (embedded broker). */
  clientsConnected: number;
}

export class MqttStats {
  readonly counters: MqttCounters = {
    messages: 0,
    windowsInserted: 0,
    duplicates: 0,
    hellos: 0,
    samples: 0,
    statusMessages: 0,
    events: 0,
    storeFailures: 0,
    reconnects: 0,
    connects: 0,
    acks: 0,
    clientsConnected: 0,
  };
  readonly rejected: Record<string, number> = {};
  state = 'starting';
  lastError: string | null = null;
  /** Messages received but not yet acknowledged (being stored). */
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    readonly name: string,
    readonly kind: SourceStatus['kind'],
    private readonly details: () => Record<string, unknown> = () => ({}),
  ) {}

  reject(reason: MqttRejectReason, count = 1): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + count;
  }

  enter(): void {
    this.inFlight += 1;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  leave(): void {
    this.inFlight -= 1;
  }

  status(): SourceStatus {
    return {
      name: this.name,
      kind: this.kind,
      state: this.state,
      counters: { ...this.counters, inFlight: this.inFlight, maxInFlight: this.maxInFlight },
      rejected: { ...this.rejected },
      lastError: this.lastError,
      details: this.details(),
    };
  }
}
