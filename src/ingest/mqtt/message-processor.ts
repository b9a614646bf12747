/**
 * Topic + payload → stored window (or announced device, live power sample, status), shared by the external-broker
 * reader and the embedded broker. Never throws: every input ends as an outcome the transport turns into an ack
 * (stored, or rejected and counted with a reason) or a withheld ack (storing failed: the broker must redeliver).
 */
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { EnergyWindow } from '../../domain/types.js';
import { parseJsonMessage } from '../../protocol/json-message.js';
import { isParseFailure } from '../../protocol/messages.js';
import type { PresenceSink } from '../../live/device-presence.js';
import { submitWith, type SubmitResult, type WindowSink } from '../window-sink.js';
import { OverloadError } from '../micro-batcher.js';
import type { MqttRejectReason, MqttStats } from './mqtt-stats.js';
import { parseDeviceTopic, STATUS_OFFLINE, STATUS_ONLINE, type DeviceTopic } from './topics.js';
import { energyWindowFromMessage } from '../window-mapping.js';

/** Device ids remembered as already registered; past this the set is cleared (re-announcing is idempotent). */
export const MAX_KNOWN_DEVICES = 100_000;
/** Longest status payload accepted (bytes): `online` / `offline`. */
export const MAX_STATUS_BYTES = 16;

export type HandleOutcome =
  /** Ack: stored, duplicate, accepted (hello, sample, status) or rejected for good (counted by reason). */
  | { ack: true; result: 'stored' | 'accepted' | 'rejected'; reason?: MqttRejectReason }
  /** Do not ack: the broker redelivers (after a reconnect). */
  | { ack: false; reason: 'store_failed' | 'overload'; error: string };

/** Where a message's outcome goes: called once, possibly before `handleParsed` returns. */
export type OutcomeCallback = (outcome: HandleOutcome) => void;

/**
 * One message on its way to its outcome. State in a plain object, not in closures made per message (the hot path
 * makes none that need a name).
 */
interface Delivery {
  readonly done: OutcomeCallback;
  settled: boolean;
  /** A window counted in `windowsInFlight` (close() waits for it). */
  inFlight: boolean;
}

/** The outcomes every message shares, made once (callers compare them, never change them). */
const STORED: HandleOutcome = Object.freeze({ ack: true, result: 'stored' });
const ACCEPTED: HandleOutcome = Object.freeze({ ack: true, result: 'accepted' });
const CLOSING: HandleOutcome = Object.freeze({ ack: false, reason: 'store_failed', error: 'closing: not stored' });

export interface MessageProcessorOptions {
  sink: WindowSink;
  stats: MqttStats;
  prefix: string;
  /** EnergyWindow.source, e.g. `mqtt:mqtt://broker:1883`. */
  source: string;
  clock?: () => number;
  /** Where `online` / `offline` (the last will) go, so the device and fleet views show them at once. */
  presence?: PresenceSink;
}

export class MqttMessageProcessor {
  private readonly known = new Set<string>();
  private readonly online = new Set<string>();
  /** Announcements under way, so that a new device's concurrent windows register it once. */
  private readonly announcing = new Map<string, Promise<void>>();
  private readonly clock: () => number;
  private windowsInFlight = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: MessageProcessorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Windows received and not yet stored (the sink commits them in groups: IngestService). */
  get pendingWindows(): number {
    return this.windowsInFlight;
  }

  get devicesOnline(): number {
    return this.online.size;
  }

  /** Handle one PUBLISH that came from our subscription (the reader): its topic is parsed here. */
  handle(topic: string, payload: Buffer): Promise<HandleOutcome> {
    const parsedTopic = parseDeviceTopic(this.options.prefix, topic);
    if (parsedTopic === null) {
      this.options.stats.count('messages');
      return Promise.resolve(this.rejected('bad_topic'));
    }
    return new Promise<HandleOutcome>((resolve) => this.handleParsed(parsedTopic, payload, resolve));
  }

  /**
   * Handle one PUBLISH whose topic is parsed and authorized already (the embedded broker's ACL parsed it), without a
   * promise per message: `done` gets the outcome once, at once for anything but a window, after its commit for one.
   */
  handleParsed(topic: DeviceTopic, payload: Buffer, done: OutcomeCallback): void {
    const { stats } = this.options;
    stats.count('messages');
    stats.enter();
    const delivery: Delivery = { done, settled: false, inFlight: false };
    try {
      this.handleDeviceMessage(topic, payload, delivery);
    } catch (error) {
      if (delivery.settled) throw error; // thrown by `done` itself: not ours to turn into an outcome
      this.finish(delivery, this.failed(error));
    }
  }

  /** Wait until the windows received so far are stored (their acks can go out); later windows withhold their ack. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.windowsInFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Unexpected (e.g. the store is closed): withhold the ack so nothing acknowledged is lost. */
  private failed(error: unknown): HandleOutcome {
    const { stats } = this.options;
    stats.count('storeFailures');
    stats.lastError = error instanceof Error ? error.message : String(error);
    return { ack: false, reason: 'store_failed', error: stats.lastError };
  }

  private handleDeviceMessage(topic: DeviceTopic, payload: Buffer, delivery: Delivery): void {
    const { stats, sink } = this.options;
    if (topic.kind === 'status') {
      this.finish(delivery, this.handleStatus(topic, payload));
      return;
    }
    const message = parseJsonMessage(payload);
    if (isParseFailure(message)) {
      this.finish(delivery, this.rejected(message.reason));
      return;
    }
    if (message.type !== topic.kind) {
      this.finish(delivery, this.rejected('topic_mismatch'));
      return;
    }
    const receivedMs = this.clock();
    switch (message.type) {
      case 'hello':
        sink.announce({ deviceId: topic.deviceId, board: message.board, firmware: message.firmware, fleet: topic.fleet }).then(
          () => {
            this.remember(topic.deviceId);
            stats.count('hellos');
            this.finish(delivery, ACCEPTED);
          },
          (error: unknown) => this.finish(delivery, this.failed(error)),
        );
        return;
      case 'sample':
        sink.publishPower(topic.deviceId, receivedMs, message.powerUw * 1e-6);
        stats.count('samples');
        this.finish(delivery, ACCEPTED);
        return;
      case 'event':
        stats.count('events');
        this.finish(delivery, ACCEPTED);
        return;
      case 'window':
        this.handleWindow(energyWindowFromMessage(topic.deviceId, message, receivedMs, this.options.source), topic.fleet, delivery);
        return;
    }
  }

  /**
   * One window, one submission: the sink's group commit puts the windows of every connection that arrive together
   * into one transaction, and the delivery is finished (so the ack goes out) only after the commit that holds this window.
   */
  private handleWindow(window: EnergyWindow, fleet: string, delivery: Delivery): void {
    if (this.closed) {
      this.finish(delivery, CLOSING);
      return;
    }
    this.windowsInFlight += 1;
    delivery.inFlight = true;
    if (this.known.has(window.deviceId)) {
      this.submit(window, delivery);
      return;
    }
    this.ensureAnnounced(window.deviceId, fleet).then(
      () => this.submit(window, delivery),
      (error: unknown) => this.finish(delivery, this.windowFailure(error)),
    );
  }

  private submit(window: EnergyWindow, delivery: Delivery): void {
    try {
      submitWith(this.options.sink, [window], {}, (error, result) =>
        this.finish(delivery, error === null ? this.stored(result as SubmitResult) : this.windowFailure(error)),
      );
    } catch (error) {
      if (delivery.settled) throw error; // thrown by `done` itself
      this.finish(delivery, this.windowFailure(error)); // a sink that throws instead of rejecting
    }
  }

  /** The message's outcome, once: the in-flight gauge, the windows close() waits for, then the caller. */
  private finish(delivery: Delivery, outcome: HandleOutcome): void {
    if (delivery.settled) return;
    delivery.settled = true;
    this.options.stats.leave();
    if (delivery.inFlight) {
      this.windowsInFlight -= 1;
      if (this.windowsInFlight === 0) this.notifyIdle();
    }
    delivery.done(outcome);
  }

  /** A window's submission failed: withhold the ack (redelivered), or drop and ack what would fail forever. */
  private windowFailure(error: unknown): HandleOutcome {
    const { stats } = this.options;
    if (error instanceof OverloadError) {
      stats.reject('overload');
      return { ack: false, reason: 'overload', error: error.message };
    }
    if (error instanceof NotFoundError) this.known.clear(); // a device was deleted meanwhile: re-announce on redelivery
    // The ingest service drops windows that break the rules itself; a ValidationError is a sink that did not (the
    // store's integrity guard, the last resort): drop (and ack) the window, or it would be redelivered forever.
    if (error instanceof ValidationError) return this.rejected('store_rejected');
    return this.failed(error);
  }

  /** Unknown devices are announced first, with the fleet from their topic; concurrent windows share one announcement. */
  private ensureAnnounced(deviceId: string, fleet: string): Promise<void> {
    let announcing = this.announcing.get(deviceId);
    if (announcing === undefined) {
      announcing = this.options.sink.announce({ deviceId, fleet }).then(
        () => {
          this.announcing.delete(deviceId);
          this.remember(deviceId);
        },
        (error: unknown) => {
          this.announcing.delete(deviceId);
          throw error;
        },
      );
      this.announcing.set(deviceId, announcing);
    }
    return announcing;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private handleStatus(topic: DeviceTopic, payload: Buffer): HandleOutcome {
    if (payload.length > MAX_STATUS_BYTES) return this.rejected('too_long');
    const text = payload.toString('utf8');
    if (text !== STATUS_ONLINE && text !== STATUS_OFFLINE) return this.rejected('bad_status');
    this.options.stats.count('statusMessages');
    if (text === STATUS_ONLINE) {
      if (this.online.size < MAX_KNOWN_DEVICES) this.online.add(topic.deviceId);
    } else {
      this.online.delete(topic.deviceId);
    }
    this.options.presence?.report(topic.deviceId, text === STATUS_ONLINE ? 'online' : 'offline', 'status');
    return ACCEPTED;
  }

  private rejected(reason: MqttRejectReason): HandleOutcome {
    this.options.stats.reject(reason);
    return { ack: true, result: 'rejected', reason };
  }

  private remember(deviceId: string): void {
    if (this.known.size >= MAX_KNOWN_DEVICES) this.known.clear();
    this.known.add(deviceId);
  }

  /** Windows the sink refused by the window rules were dropped (and counted there): acked like the others, counted here too. */
  private stored(result: SubmitResult): HandleOutcome {
    const { stats } = this.options;
    if (result.inserted > 0) stats.count('windowsInserted', result.inserted);
    if (result.duplicates > 0) stats.count('duplicates', result.duplicates);
    if ((result.seqResets ?? 0) > 0) stats.count('seqResets', result.seqResets);
    if ((result.rejected ?? 0) > 0) stats.reject('implausible', result.rejected);
    if ((result.overlaps ?? 0) > 0) stats.reject('overlap', result.overlaps);
    return STORED;
  }
}
