import type { LiveBus, LiveEvent } from '../live/live-bus.js';
import { Counters, counterFamily, gauge, total } from '../obs/counters.js';
import type { HealthSource, SourceStatus } from '../obs/health-registry.js';
import type { Logger } from '../obs/logger.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { deviceFootprint, MAX_INFERENCE_SPANS_FOR_MEDIAN, type DeviceFootprint } from '../service/device-footprint.js';
import type { FleetIndex } from '../service/fleet-index.js';
import type { FleetDeviceRow, PresenceLookup } from '../service/fleet-summary.js';
import type { Store } from '../store/store.js';
import { appendBounded } from './bounded-points.js';
import { FLUSH_INTERVAL_MS, HEARTBEAT_INTERVAL_MS, MAX_DIRTY_DEVICES, MAX_POINTS_PER_DEVICE } from './limits.js';
import type { FeedBatch, PowerPoint } from './live-types.js';
import type { SseClient } from './sse-client.js';

export interface LiveFeedDeps {
  bus: LiveBus;
  store: Store;
  catalogue: Catalogue;
  /** The fleet rows, kept current from the same bus: a tick reads each dirty device's row from it, never recomputes it. */
  fleetIndex: FleetIndex;
  clock: () => number;
  onlineThresholdMs: number;
  log: Logger;
  /** Device presence (MQTT status, last will); absent: online follows the last window's age. */
  presenceOf?: PresenceLookup;
  flushIntervalMs?: number;
  heartbeatIntervalMs?: number;
}

/** What happened to one device since the last tick: live power samples, and how many windows were stored. */
interface DirtyDevice {
  points: PowerPoint[];
  windows: number;
}

/** The live feed's health (GET /api/health, source `dashboard-events`): its clients now, and what its ticks did. */
export const LIVE_FEED_FAMILY = counterFamily('dashboard_events', {
  clients: gauge('Event-stream clients connected now.'),
  events: total('Live-bus events received (power samples, stored windows, device changes).'),
  ticks: total('Ticks that recomputed the dirty devices and offered the batch to every client.'),
  rowsComputed: total('Fleet rows sent (read from the fleet index).'),
  droppedDirty: total(`Devices not marked dirty because ${MAX_DIRTY_DEVICES} already were (MAX_DIRTY_DEVICES).`),
  droppedPoints: total('Live power points dropped over the per-device bound (MAX_POINTS_PER_DEVICE).'),
  tickErrors: total('Ticks that failed as a whole (the store unreachable); their devices are retried on the next tick.'),
  deviceErrors: total('Watched devices whose footprint or power points could not be computed (sent as a row with `error`).'),
});

export type LiveFeedCounters = Record<Exclude<keyof typeof LIVE_FEED_FAMILY.counters, 'clients'>, number>;

/**
 * Fan-out of the live bus to event-stream clients. Bus events only mark devices dirty (cheap, synchronous); a tick at
 * a bounded rate reads each dirty device's fleet row from the fleet index once — however many windows arrived and however many
 * clients listen — and offers the batch to every client. Subscribed to the bus only while a client is connected.
 */
export class LiveFeed implements HealthSource {
  readonly family = LIVE_FEED_FAMILY;
  private readonly count = new Counters(LIVE_FEED_FAMILY.counters);
  private readonly clients = new Set<SseClient>();
  private dirty = new Map<string, DirtyDevice>();
  private unsubscribe: (() => void) | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private ticking = false;
  private readonly flushIntervalMs: number;
  private readonly heartbeatIntervalMs: number;

  constructor(private readonly deps: LiveFeedDeps) {
    this.flushIntervalMs = deps.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.heartbeatIntervalMs = deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get counters(): LiveFeedCounters {
    const { clients: _clients, ...counters } = this.count.snapshot();
    return counters;
  }

  status(): SourceStatus {
    return {
      name: 'dashboard-events',
      kind: 'http',
      state: this.clients.size > 0 ? 'streaming' : 'idle',
      counters: { ...this.count.snapshot(), clients: this.clients.size },
      rejected: {},
      lastError: null,
    };
  }

  /** Milliseconds between ticks (and so between updates to each browser). */
  get tickIntervalMs(): number {
    return this.flushIntervalMs;
  }

  add(client: SseClient): () => void {
    this.clients.add(client);
    if (this.unsubscribe === null) this.startListening();
    return () => this.remove(client);
  }

  /** Close every client and stop the timers (service shutdown). */
  stop(): void {
    for (const client of this.clients) client.close();
    this.clients.clear();
    this.stopListening();
  }

  private remove(client: SseClient): void {
    client.close();
    this.clients.delete(client);
    if (this.clients.size === 0) this.stopListening();
  }

  private startListening(): void {
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    this.tickTimer = setInterval(() => void this.tick(), this.flushIntervalMs);
    this.heartbeatTimer = setInterval(() => {
      const nowMs = this.deps.clock();
      for (const client of this.clients) client.heartbeat(nowMs);
    }, this.heartbeatIntervalMs);
  }

  private stopListening(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.tickTimer = null;
    this.heartbeatTimer = null;
    this.dirty = new Map();
  }

  private onEvent(event: LiveEvent): void {
    this.count.add('events');
    let dirty = this.dirty.get(event.deviceId);
    if (dirty === undefined) {
      if (this.dirty.size >= MAX_DIRTY_DEVICES) {
        this.count.add('droppedDirty');
        return;
      }
      dirty = { points: [], windows: 0 };
      this.dirty.set(event.deviceId, dirty);
    }
    if (event.type === 'windows') {
      // `inserted` is this device's count of new windows; capped: the chart never needs more than a flush's worth.
      dirty.windows = Math.min(dirty.windows + event.inserted, MAX_POINTS_PER_DEVICE);
    } else if (event.type === 'power') {
      this.count.add('droppedPoints', appendBounded(dirty.points, [[event.tMs, event.powerW]], MAX_POINTS_PER_DEVICE));
    }
  }

  /** One bounded-rate step; never overlaps a previous one (a slow store skips ticks instead of queueing them). */
  async tick(): Promise<void> {
    if (this.ticking || this.dirty.size === 0) return;
    this.ticking = true;
    const dirty = this.dirty;
    this.dirty = new Map();
    try {
      const batch = await this.computeBatch(dirty);
      this.count.add('ticks');
      for (const client of this.clients) client.offer(batch);
    } catch (error) {
      // Nothing was offered: put the devices back so the next tick retries them instead of losing their updates.
      this.count.add('tickErrors');
      this.deps.log.error(`live feed tick failed: ${errorMessage(error)}`);
      this.requeue(dirty);
    } finally {
      this.ticking = false;
    }
  }

  /** Merge a failed tick's devices back in front of what arrived meanwhile (same bounds as onEvent). */
  private requeue(failed: ReadonlyMap<string, DirtyDevice>): void {
    if (this.unsubscribe === null) return; // nobody listens any more
    for (const [id, old] of failed) {
      const newer = this.dirty.get(id);
      if (newer === undefined) {
        if (this.dirty.size >= MAX_DIRTY_DEVICES) {
          this.count.add('droppedDirty');
          continue;
        }
        this.dirty.set(id, old);
        continue;
      }
      const points = [...old.points];
      this.count.add('droppedPoints', appendBounded(points, newer.points, MAX_POINTS_PER_DEVICE));
      this.dirty.set(id, { points, windows: Math.min(old.windows + newer.windows, MAX_POINTS_PER_DEVICE) });
    }
  }

  /**
   * Power points of a watched device: its newest stored windows (the bus carries only the last window of a batch)
   * plus live samples, in time order.
   */
  private async pointsOf(id: string, dirty: DirtyDevice): Promise<PowerPoint[]> {
    const windows = dirty.windows > 0 ? await this.deps.store.listWindows(id, dirty.windows) : [];
    const points: PowerPoint[] = windows.filter((w) => w.durationS > 0).map((w) => [w.startMs + w.durationS * 1000, w.energyJ / w.durationS]);
    return [...points, ...dirty.points].sort((a, b) => a[0] - b[0]);
  }

  private async computeBatch(dirty: ReadonlyMap<string, DirtyDevice>): Promise<FeedBatch> {
    const { store, catalogue, onlineThresholdMs, fleetIndex } = this.deps;
    // The index has heard the same events; waiting for it applies them (O(changed devices)), then rows are read.
    await fleetIndex.current();
    const nowMs = this.deps.clock();
    const rows = new Map<string, FleetDeviceRow>();
    for (const id of dirty.keys()) {
      const row = fleetIndex.get(id);
      if (row !== undefined) rows.set(id, fleetIndex.fleetRow(row, nowMs));
    }
    this.count.add('rowsComputed', rows.size);
    const watched = new Set<string>();
    for (const client of this.clients) if (client.device !== null && dirty.has(client.device) && rows.has(client.device)) watched.add(client.device);
    const presenceOf = this.deps.presenceOf ?? (() => undefined);
    const footprints = new Map<string, DeviceFootprint>();
    const points = new Map<string, PowerPoint[]>();
    for (const id of watched) {
      // One device that cannot be computed (a spec that no longer resolves, a bad stored window) must not cost every
      // viewer its updates: report it on its row, as the fleet does, and go on with the others.
      try {
        const [device, aggregate] = await Promise.all([store.getDevice(id), store.getAggregate(id)]);
        if (device === undefined) continue;
        // As GET /devices/:id/footprint: the median over marker-bounded windows when the device has them.
        const spans = (aggregate?.inferenceSpanWindows ?? 0) > 0 ? await store.listInferenceSpans(id, MAX_INFERENCE_SPANS_FOR_MEDIAN) : [];
        footprints.set(id, deviceFootprint(catalogue, device, aggregate, nowMs, onlineThresholdMs, presenceOf(id), spans));
        points.set(id, await this.pointsOf(id, dirty.get(id) ?? { points: [], windows: 0 }));
      } catch (error) {
        this.count.add('deviceErrors');
        const message = errorMessage(error);
        this.deps.log.warn(`live feed: device "${id}" skipped: ${message}`, { deviceId: id });
        const row = rows.get(id);
        if (row !== undefined && row.error === null) rows.set(id, { ...row, error: message });
      }
    }
    return { atMs: nowMs, rows, points, footprints };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
