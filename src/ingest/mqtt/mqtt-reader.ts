/**
 * Reads a fleet from an EXTERNAL MQTT 5 broker (Mosquitto, EMQX, HiveMQ…) into the store, exactly once:
 * - QoS 1 subscription in a persistent session (fixed client id, clean start off, long session expiry), so the
 *   broker keeps what is published while the service is down;
 * - the PUBACK of a window is sent only after the window's transaction has committed (the store de-duplicates
 *   redeliveries by (device, seq));
 * - MQTT.js would send the PUBACK when `handleMessage` calls back and handles the next message only then, i.e. one
 *   fsync per message. So `handleMessage` calls back with a DEFER marker at once (MQTT.js then moves on without
 *   acking) and the reader sends the PUBACK itself (puback-writer.ts) when the micro-batch holding the message has
 *   committed. PUBACKs go out in the order the PUBLISHes arrived [MQTT-4.6.0-2] (ordered-acks.ts): a sample or a
 *   rejected message behind a pending window is acked after it. An ack is sent only on the connection the message
 *   arrived on: after a reconnect the broker redelivers it anyway;
 * - `reconnectPeriod: 0` and our own capped exponential backoff with full jitter;
 * - a session taken over by another client with our client id (a second instance configured alike) is reported
 *   loudly in the log and health (session-watch.ts), and the backoff keeps growing so the two do not flap at 4 Hz;
 * - in-flight work bounded by the MQTT 5 receive maximum the broker must respect.
 */
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../../obs/logger.js';
import { Backoff } from '../../util/backoff.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import type { MqttMessageProcessor } from './message-processor.js';
import { INGEST_COMMIT_MAX_WINDOWS } from '../ingest-service.js';
import type { MqttStats } from './mqtt-stats.js';
import { OrderedAcks } from './ordered-acks.js';
import { assertPubackWriter, sendPuback } from './puback-writer.js';
import { SessionWatch, type SessionSign } from './session-watch.js';
import { subscriptionFilters } from './topics.js';

/** Unacked QoS 1 messages the broker may send us at once (MQTT 5 Receive Maximum): two full micro-batches. */
export const READER_RECEIVE_MAXIMUM = 1_000;
/** Windows waiting to be stored at which the reader stops reading the socket until a batch commits (bounded in-flight work). */
export const READER_PAUSE_AT_PENDING = 2 * INGEST_COMMIT_MAX_WINDOWS;
/** Seconds the broker keeps our session (and queues for us) while we are away: one week of downtime. */
export const READER_SESSION_EXPIRY_S = 7 * 24 * 3600;
/**
 * Largest packet we accept (MQTT 5 Maximum Packet Size, bytes). A JSON message is ≤ 1 KiB, but a broker silently
 * discards a message bigger than this instead of sending it to us (MQTT 5 §3.1.2.11.4: no notice to anyone, Mosquitto
 * 2.0 acks it to the publisher), so it could not be counted. 1 MiB of payload plus 4 KiB for topic and properties lets
 * an oversized message of up to 1 MiB arrive and be counted (`too_long`); bigger ones are invisible (MQTT.md, Health).
 * Memory stays bounded: a too-long payload is refused as soon as it is parsed.
 */
export const READER_MAX_PACKET_BYTES = 1024 * 1024 + 4 * 1024;
/** Seconds between keepalive pings. */
export const READER_KEEPALIVE_S = 30;
/** Milliseconds to wait for CONNACK before giving the attempt up. */
export const READER_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Reconnect schedule of an MQTT client (this reader, and the fleet simulator's devices): 250 ms first ceiling (quick
 * recovery from a blip), doubling to 30 s (a restarted broker is found within 30 s), full jitter so that a fleet's
 * reconnects after a broker restart spread out instead of arriving together (util/backoff.ts).
 */
export const MQTT_RECONNECT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ initialMs: 250, maxMs: 30_000, factor: 2, jitter: 'full' });

/** Passed to MQTT.js's handleMessage callback: "go on, but do not send the PUBACK" (we send it after storing). */
class DeferredAck extends Error {
  constructor() {
    super('ack deferred until stored');
    this.name = 'DeferredAck';
  }
}
const DEFER = new DeferredAck();

export interface MqttReaderOptions {
  url: string;
  clientId: string;
  prefix: string;
  shareGroup?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  caFile?: string | undefined;
  processor: MqttMessageProcessor;
  stats: MqttStats;
  log: Logger;
  /** Injected for tests; default MQTT.js connect. */
  connectFn?: (url: string, options: IClientOptions) => MqttClient;
  /** Default: MQTT_RECONNECT_BACKOFF. */
  backoff?: Backoff;
}

export class MqttReader {
  private client: MqttClient | null = null;
  /** Incremented whenever the connection is lost: acks of an older connection are not sent. */
  private generation = 0;
  /** The current connection's acks, in arrival order. */
  private acks: OrderedAcks = this.newAcks();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** The last connection was dropped by us because storing failed: keep backing off instead of resetting. */
  private storeTrouble = false;
  /** We are closing the current connection ourselves (a reconnect for redelivery): not the broker's doing. */
  private closingByUs = false;

  private readonly backoff: Backoff;
  private readonly watch: SessionWatch;

  constructor(private readonly options: MqttReaderOptions) {
    this.backoff = options.backoff ?? new Backoff(MQTT_RECONNECT_BACKOFF);
    this.watch = new SessionWatch(options.clientId);
  }

  /** For health: the takeover warning while it is recent, and the broker's DISCONNECT reasons by code. */
  details(): Record<string, unknown> {
    return { warning: this.watch.warning(), disconnectReasons: { ...this.watch.disconnectReasons } };
  }

  /** Connect in the background; the service starts even when the broker is down. */
  start(): void {
    const { options } = this;
    const connectFn = options.connectFn ?? connect;
    // A fresh options object per client (MQTT.js #1471).
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      clean: false,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: READER_CONNECT_TIMEOUT_MS,
      keepalive: READER_KEEPALIVE_S,
      resubscribe: false,
      queueQoSZero: false,
      properties: {
        sessionExpiryInterval: READER_SESSION_EXPIRY_S,
        receiveMaximum: READER_RECEIVE_MAXIMUM,
        maximumPacketSize: READER_MAX_PACKET_BYTES,
      },
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.caFile !== undefined ? { ca: readFileSync(options.caFile) } : {}),
    };
    options.stats.state = 'connecting';
    const client = connectFn(options.url, clientOptions);
    assertPubackWriter(client);
    this.client = client;
    client.handleMessage = (packet, callback) => this.onPublish(packet, callback);
    client.on('connect', (connack) => {
      options.stats.state = 'connected';
      options.stats.count('connects');
      // Contested (our session was just taken over): keep the backoff growing, or two instances flap at full speed.
      if (!this.storeTrouble && !this.watch.contested) this.backoff.reset();
      this.watch.connected();
      options.log.info(`mqtt: connected to ${options.stats.name} as ${options.clientId} (session ${connack.sessionPresent ? 'resumed' : 'new'})`);
      this.subscribe(client);
    });
    client.on('close', () => this.onClose());
    client.on('disconnect', (packet) => {
      const sign = this.watch.disconnected(packet.reasonCode ?? 0);
      if (sign !== null) {
        this.warn(sign);
        return;
      }
      options.stats.lastError = `broker disconnected us: reason ${packet.reasonCode ?? 0}${packet.properties?.reasonString ? ` (${packet.properties.reasonString})` : ''}`;
      options.log.warn(`mqtt: ${options.stats.lastError}`);
    });
    client.on('error', (error) => {
      options.stats.lastError = error.message;
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    // Store (and ack) what has arrived, then disconnect; anything later is redelivered next time.
    await this.options.processor.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const client = this.client;
    this.client = null;
    if (client !== null) await client.endAsync(false);
    this.options.stats.state = 'stopped';
  }

  private subscribe(client: MqttClient): void {
    const filters = subscriptionFilters(this.options.prefix, this.options.shareGroup);
    client.subscribe(filters, { qos: 1 }, (error, granted) => {
      if (error) {
        this.options.stats.lastError = `subscribe failed: ${error.message}`;
        return;
      }
      const refused = (granted ?? []).filter((grant) => grant.qos > 2);
      if (refused.length > 0) {
        this.options.stats.lastError = `subscription refused by the broker: ${refused.map((grant) => grant.topic).join(', ')}`;
        this.options.log.warn(`mqtt: ${this.options.stats.lastError}`);
      }
    });
  }

  private onPublish(packet: IPublishPacket, callback: (error?: Error) => void): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (packet.qos === 0 || packet.messageId === undefined) {
      callback();
      // QoS 0: nothing to ack or redeliver; a failure is only recorded.
      this.options.processor.handle(packet.topic, payload).catch((error: unknown) => this.recordFailure(packet.topic, error));
      return;
    }
    const generation = this.generation;
    const acks = this.acks;
    const ticket = acks.enter(packet.messageId);

    // Never rejects: a failure (the processor should not throw, but a bug or a dead store might) is recorded and the
    // ack withheld, exactly like a window that was not stored.
    const handled = this.options.processor
      .handle(packet.topic, payload)
      .then((outcome) => {
        if (outcome.ack) {
          ticket.ack();
        } else {
          ticket.withhold();
          // Not stored: without an ack the broker redelivers only on a new connection, so make one.
          this.options.log.warn(`mqtt: message not stored (${outcome.reason}: ${outcome.error}); reconnecting for redelivery`);
          this.forceReconnect(generation);
        }
      })
      .catch((error: unknown) => {
        ticket.withhold();
        this.options.stats.count('storeFailures');
        this.recordFailure(packet.topic, error);
        this.options.log.warn(`mqtt: ${this.options.stats.lastError}; not acked, reconnecting for redelivery`);
        this.forceReconnect(generation);
      });
    // Backpressure: MQTT.js reads the next message only after this callback. The bench once saw > 5 000 windows
    // pending on one Mosquitto 2.0.11 connection despite our receive maximum of 1 000 (cause not pinned down), so the
    // bound does not rely on the broker: past READER_PAUSE_AT_PENDING, wait for this message's batch to commit and
    // let TCP flow control hold the broker back.
    // Acks waiting behind a pending window are bounded the same way (by the receive maximum we announced).
    if (this.options.processor.pendingWindows >= READER_PAUSE_AT_PENDING) void handled.then(() => callback(DEFER));
    else if (acks.waiting >= READER_RECEIVE_MAXIMUM) void acks.below(READER_RECEIVE_MAXIMUM).then(() => callback(DEFER));
    else callback(DEFER);
  }

  private recordFailure(topic: string, error: unknown): void {
    this.options.stats.lastError = `handling a message on ${topic} failed: ${error instanceof Error ? error.message : String(error)}`;
  }

  private newAcks(): OrderedAcks {
    const generation = this.generation;
    return new OrderedAcks((messageId) => this.writePuback(generation, messageId));
  }

  /** False when the connection the message came on is gone (the broker redelivers it on the next one). */
  private writePuback(generation: number, messageId: number): boolean {
    const client = this.client;
    if (client === null || generation !== this.generation || !client.connected) return false;
    if (this.storeTrouble) {
      this.storeTrouble = false; // storing works again
      this.backoff.reset();
    }
    sendPuback(client, messageId);
    this.options.stats.count('acks');
    return true;
  }

  private forceReconnect(generation: number): void {
    const client = this.client;
    if (client === null || generation !== this.generation || this.stopping) return;
    this.storeTrouble = true;
    this.closingByUs = true;
    client.stream?.destroy();
  }

  /** Loud: a misconfiguration that costs every message a redelivery and the broker a reconnect storm. */
  private warn(sign: SessionSign): void {
    const message = this.watch.message(sign);
    this.options.stats.set('sessionTakeovers', this.watch.takeovers);
    this.options.stats.lastError = message;
    this.options.log.warn(`mqtt: WARNING: ${message}`);
  }

  private onClose(): void {
    this.generation += 1;
    this.acks.close();
    this.acks = this.newAcks();
    const sign = this.watch.closed(this.closingByUs || this.stopping);
    this.closingByUs = false;
    this.options.stats.set('shortSessions', this.watch.shortSessions);
    if (sign !== null) this.warn(sign);
    if (this.stopping) return;
    this.options.stats.state = 'disconnected';
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== null || this.stopping) return;
    const delayMs = this.backoff.nextDelayMs();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      const client = this.client;
      if (client === null || this.stopping) return;
      this.options.stats.count('reconnects');
      this.options.stats.state = 'connecting';
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delayMs);
  }
}
