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
    let settled = false;
    const finish = (outcome: HandleOutcome): void => {
      settled = true;
      stats.leave();
      done(outcome);
    };
    try {
      this.handleDeviceMessage(topic, payload, finish);
    } catch (error) {
      if (settled) throw error; // thrown by `done` itself: not ours to turn into an outcome
      finish(this.failed(error));
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

  private handleDeviceMessage(topic: DeviceTopic, payload: Buffer, finish: OutcomeCallback): void {
    const { stats, sink } = this.options;
    if (topic.kind === 'status') {
      finish(this.handleStatus(topic, payload));
      return;
    }
    const message = parseJsonMessage(payload);
    if (isParseFailure(message)) {
      finish(this.rejected(message.reason));
      return;
    }
    if (message.type !== topic.kind) {
      finish(this.rejected('topic_mismatch'));
      return;
    }
    const receivedMs = this.clock();
    switch (message.type) {
      case 'hello':
        sink.announce({ deviceId: topic.deviceId, board: message.board, firmware: message.firmware, fleet: topic.fleet }).then(
          () => {
            this.remember(topic.deviceId);
            stats.count('hellos');
            finish(ACCEPTED);
          },
          (error: unknown) => finish(this.failed(error)),
        );
        return;
      case 'sample':
        sink.publishPower(topic.deviceId, receivedMs, message.powerUw * 1e-6);
        stats.count('samples');
        finish(ACCEPTED);
        return;
      case 'event':
        stats.count('events');
        finish(ACCEPTED);
        return;
      case 'window':
        this.handleWindow(energyWindowFromMessage(topic.deviceId, message, receivedMs, this.options.source), topic.fleet, finish);
        return;
    }
  }

  /**
   * One window, one submission: the sink's group commit puts the windows of every connection that arrive together
   * into one transaction, and `finish` is called (so the ack goes out) only after the commit that holds this window.
   */
  private handleWindow(window: EnergyWindow, fleet: string, finish: OutcomeCallback): void {
    if (this.closed) {
      finish(CLOSING);
      return;
    }
    this.windowsInFlight += 1;
    let settled = false;
    const settle = (outcome: HandleOutcome): void => {
      settled = true;
      this.windowsInFlight -= 1;
      if (this.windowsInFlight === 0) this.notifyIdle();
      finish(outcome);
    };
    const submit = (): void => {
      try {
        submitWith(this.options.sink, [window], {}, (error, result) =>
          settle(error === null ? this.stored(result as SubmitResult) : this.windowFailure(error)),
        );
      } catch (error) {
        if (settled) throw error; // thrown by `finish` itself
        settle(this.windowFailure(error)); // a sink that throws instead of rejecting
      }
    };
    if (this.known.has(window.deviceId)) {
      submit();
      return;
    }
    this.ensureAnnounced(window.deviceId, fleet).then(submit, (error: unknown) => settle(this.windowFailure(error)));
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
