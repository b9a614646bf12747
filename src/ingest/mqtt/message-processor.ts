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
import type { SubmitResult, WindowSink } from '../window-sink.js';
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

interface WindowItem {
  window: EnergyWindow;
  fleet: string;
}

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

  /** Handle one PUBLISH. `topic` is already authorized (embedded broker) or came from our subscription. */
  async handle(topic: string, payload: Buffer): Promise<HandleOutcome> {
    const { stats } = this.options;
    stats.count('messages');
    const parsedTopic = parseDeviceTopic(this.options.prefix, topic);
    if (parsedTopic === null) return this.rejected('bad_topic');
    stats.enter();
    try {
      return await this.handleDeviceMessage(parsedTopic, payload);
    } catch (error) {
      // Unexpected (e.g. the store is closed): withhold the ack so nothing acknowledged is lost.
      stats.count('storeFailures');
      stats.lastError = error instanceof Error ? error.message : String(error);
      return { ack: false, reason: 'store_failed', error: stats.lastError };
    } finally {
      stats.leave();
    }
  }

  /** Wait until the windows received so far are stored (their acks can go out); later windows withhold their ack. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.windowsInFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async handleDeviceMessage(topic: DeviceTopic, payload: Buffer): Promise<HandleOutcome> {
    const { stats, sink } = this.options;
    if (topic.kind === 'status') return this.handleStatus(topic, payload);
    const message = parseJsonMessage(payload);
    if (isParseFailure(message)) return this.rejected(message.reason);
    if (message.type !== topic.kind) return this.rejected('topic_mismatch');
    const receivedMs = this.clock();
    switch (message.type) {
      case 'hello': {
        await sink.announce({ deviceId: topic.deviceId, board: message.board, firmware: message.firmware, fleet: topic.fleet });
        this.remember(topic.deviceId);
        stats.count('hellos');
        return { ack: true, result: 'accepted' };
      }
      case 'sample':
        sink.publishPower(topic.deviceId, receivedMs, message.powerUw * 1e-6);
        stats.count('samples');
        return { ack: true, result: 'accepted' };
      case 'event':
        stats.count('events');
        return { ack: true, result: 'accepted' };
      case 'window':
        return this.handleWindow({ window: energyWindowFromMessage(topic.deviceId, message, receivedMs, this.options.source), fleet: topic.fleet });
    }
  }

  /**
   * One window, one submission: the sink's group commit puts the windows of every connection that arrive together
   * into one transaction, and this resolves (so the ack goes out) only after the commit that holds this window.
   */
  private async handleWindow(item: WindowItem): Promise<HandleOutcome> {
    const { stats, sink } = this.options;
    if (this.closed) return { ack: false, reason: 'store_failed', error: 'closing: not stored' };
    this.windowsInFlight += 1;
    try {
      await this.ensureAnnounced(item);
      this.count(await sink.submitWindows([item.window]));
      return { ack: true, result: 'stored' };
    } catch (error) {
      if (error instanceof OverloadError) {
        stats.reject('overload');
        return { ack: false, reason: 'overload', error: error.message };
      }
      if (error instanceof NotFoundError) this.known.clear(); // a device was deleted meanwhile: re-announce on redelivery
      // The ingest service drops windows that break the rules itself; a ValidationError is a sink that did not (the
      // store's integrity guard, the last resort): drop (and ack) the window, or it would be redelivered forever.
      if (error instanceof ValidationError) return this.rejected('store_rejected');
      stats.count('storeFailures');
      stats.lastError = error instanceof Error ? error.message : String(error);
      return { ack: false, reason: 'store_failed', error: stats.lastError };
    } finally {
      this.windowsInFlight -= 1;
      if (this.windowsInFlight === 0) this.notifyIdle();
    }
  }

  /** Unknown devices are announced first, with the fleet from their topic. */
  private async ensureAnnounced({ window, fleet }: WindowItem): Promise<void> {
    const deviceId = window.deviceId;
    if (this.known.has(deviceId)) return;
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
    await announcing;
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
    return { ack: true, result: 'accepted' };
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
  private count(result: SubmitResult): void {
    const { stats } = this.options;
    stats.count('windowsInserted', result.inserted);
    stats.count('duplicates', result.duplicates);
    stats.count('seqResets', result.seqResets ?? 0);
    if ((result.rejected ?? 0) > 0) stats.reject('implausible', result.rejected);
    if ((result.overlaps ?? 0) > 0) stats.reject('overlap', result.overlaps);
  }
}
