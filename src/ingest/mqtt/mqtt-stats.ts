/** Counters of one MQTT source (reader or embedded broker), shown per source in GET /api/health. */
import { Counters, counterFamily, gauge, ReasonCounts, total, type CounterSpecs } from '../../obs/counters.js';
import type { HealthSource, SourceStatus } from '../../obs/health-registry.js';
import { PARSE_REASONS } from '../../protocol/messages.js';

/** Why an MQTT source refuses a message: the protocol's parse reasons (SPEC.md), and these; MQTT.md explains each. */
export const MQTT_REJECT_REASONS = [
  ...PARSE_REASONS,
  'bad_topic',
  'topic_mismatch',
  /** A status payload other than `online` / `offline`. */
  'bad_status',
  /** Embedded broker: a publish outside the device's own topics. */
  'acl',
  /** Embedded broker: a subscription outside the device's own topics. */
  'acl_subscribe',
  'bad_credentials',
  /** An authenticated device connected with a client id that is not its own (embedded broker; CONNACK 2). */
  'bad_client_id',
  'store_rejected',
  'overload',
  /** Dropped by the ingest service's window rules (unit mistake, unset clock); acked, not retried. */
  'implausible',
  /** Refused by the store: it overlaps a stored window of the device (SPEC.md §7.3); acked, not retried. */
  'overlap',
] as const;

export type MqttRejectReason = (typeof MQTT_REJECT_REASONS)[number];

/** Counters both kinds of MQTT source keep. */
const COMMON_COUNTERS = {
  messages: total('Every PUBLISH handed to the service (any kind).'),
  windowsInserted: total('Windows stored.'),
  duplicates: total('Windows already stored (a redelivery).'),
  seqResets: total('Stored windows that re-used a stored seq with a different window (a reboot; SPEC.md §7.2).'),
  hellos: total('hello messages.'),
  samples: total('sample messages (live power).'),
  statusMessages: total('status messages (online / offline, the last will).'),
  events: total('event messages.'),
  storeFailures: total('Windows whose ack was withheld because storing failed (redelivered by the broker).'),
  connects: total("Connections made since start: the reader's to its broker, or devices' accepted by the embedded broker."),
  acks: total('PUBACKs written: by the reader (each after its message was handled), or by the embedded broker to devices.'),
  inFlight: gauge('Messages received and not acknowledged yet (being stored).'),
  maxInFlight: gauge('The most messages in flight at once since start.'),
} as const satisfies CounterSpecs<string>;

/** Counters of a reader of an external broker only: they mean nothing for the embedded broker (always 0 would lie). */
const READER_COUNTERS = {
  reconnects: total('Reconnect attempts after a lost connection.'),
  sessionTakeovers: total('The broker handed our session to another client with our client id (MQTT 5 DISCONNECT 0x8E).'),
  shortSessions: total('Connections the broker closed within 5 s without a reason; several in a row raise the takeover warning.'),
} as const satisfies CounterSpecs<string>;

/** Counters of the embedded broker only. */
const BROKER_COUNTERS = {
  clientsConnected: gauge('Device connections open now (`connects` is the total).'),
} as const satisfies CounterSpecs<string>;

export const MQTT_READER_FAMILY = counterFamily('mqtt_reader', { ...COMMON_COUNTERS, ...READER_COUNTERS }, MQTT_REJECT_REASONS);
export const MQTT_BROKER_FAMILY = counterFamily('mqtt_broker', { ...COMMON_COUNTERS, ...BROKER_COUNTERS }, MQTT_REJECT_REASONS);

const MQTT_COUNTERS = { ...COMMON_COUNTERS, ...READER_COUNTERS, ...BROKER_COUNTERS };
export type MqttCounterKey = keyof typeof MQTT_COUNTERS;
export type MqttCounters = Record<MqttCounterKey, number>;

export class MqttStats implements HealthSource {
  readonly family: typeof MQTT_READER_FAMILY | typeof MQTT_BROKER_FAMILY;
  state = 'starting';
  lastError: string | null = null;
  private readonly values = new Counters(MQTT_COUNTERS);
  private readonly rejections = new ReasonCounts(MQTT_REJECT_REASONS);

  constructor(
    readonly name: string,
    readonly kind: 'mqtt' | 'broker',
    private readonly details: () => Record<string, unknown> = () => ({}),
  ) {
    this.family = kind === 'broker' ? MQTT_BROKER_FAMILY : MQTT_READER_FAMILY;
  }

  /** Every counter (of both kinds of source), now. */
  get counters(): MqttCounters {
    return this.values.snapshot();
  }

  get rejected(): Partial<Record<MqttRejectReason, number>> {
    return this.rejections.snapshot();
  }

  count(key: MqttCounterKey, by = 1): void {
    this.values.add(key, by);
  }

  /** A gauge, or a total kept by another object (the session watch's). */
  set(key: MqttCounterKey, value: number): void {
    this.values.set(key, value);
  }

  reject(reason: MqttRejectReason, count = 1): void {
    this.rejections.count(reason, count);
  }

  /** A message arrived: in flight until `leave`. */
  enter(): void {
    this.values.add('inFlight');
    if (this.values.get('inFlight') > this.values.get('maxInFlight')) this.values.set('maxInFlight', this.values.get('inFlight'));
  }

  leave(): void {
    this.values.add('inFlight', -1);
  }

  status(): SourceStatus {
    const all = this.values.snapshot();
    const counters = Object.fromEntries(Object.keys(this.family.counters).map((key) => [key, all[key as MqttCounterKey]]));
    return {
      name: this.name,
      kind: this.kind,
      state: this.state,
      counters,
      rejected: this.rejections.snapshot(),
      lastError: this.lastError,
      details: this.details(),
    };
  }
}
