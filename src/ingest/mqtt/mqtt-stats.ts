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
  /** Refused by the store: it overlaps a stored window of the device (SPEC.md §7.3); acked, not retried. */
  | 'overlap'
  | string;

export interface MqttCounters {
  /** Every PUBLISH handed to the service (any kind). */
  messages: number;
  windowsInserted: number;
  duplicates: number;
  /** Stored windows that re-used a stored seq with a different window (a reboot; SPEC.md §7.2). */
  seqResets: number;
  hellos: number;
  samples: number;
  statusMessages: number;
  events: number;
  /** Windows whose ack was withheld because storing failed (redelivered by the broker). */
  storeFailures: number;
  /** Reader: reconnect attempts after a lost connection. */
  reconnects: number;
  /** Reader: the broker handed our session to another client with our client id (MQTT 5 DISCONNECT 0x8E). */
  sessionTakeovers: number;
  /** Reader: connections the broker closed within 5 s without a reason; several in a row raise the takeover warning. */
  shortSessions: number;
  /** Connections made since start: the reader's to its broker, or devices' accepted by the embedded broker. */
  connects: number;
  /** PUBACKs written: by the reader (each after its message was handled), or by the embedded broker to devices. */
  acks: number;
  /** Embedded broker: device connections open now (a gauge, not a total; `connects` is the total). */
  clientsConnected: number;
}

/** Counters that mean nothing for the other kind of source, so its health does not show them (always 0 would lie). */
const READER_ONLY_COUNTERS: readonly (keyof MqttCounters)[] = ['reconnects', 'sessionTakeovers', 'shortSessions'];
const BROKER_ONLY_COUNTERS: readonly (keyof MqttCounters)[] = ['clientsConnected'];

export class MqttStats {
  readonly counters: MqttCounters = {
    messages: 0,
    windowsInserted: 0,
    duplicates: 0,
    seqResets: 0,
    hellos: 0,
    samples: 0,
    statusMessages: 0,
    events: 0,
    storeFailures: 0,
    reconnects: 0,
    sessionTakeovers: 0,
    shortSessions: 0,
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
    const counters: Record<string, number> = { ...this.counters, inFlight: this.inFlight, maxInFlight: this.maxInFlight };
    for (const key of this.kind === 'broker' ? READER_ONLY_COUNTERS : BROKER_ONLY_COUNTERS) delete counters[key];
    return {
      name: this.name,
      kind: this.kind,
      state: this.state,
      counters,
      rejected: { ...this.rejected },
      lastError: this.lastError,
      details: this.details(),
    };
  }
}
