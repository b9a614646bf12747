import type { DeviceFootprint } from '../service/device-footprint.js';
import type { FleetDeviceRow } from '../service/fleet-summary.js';
import { appendBounded } from './bounded-points.js';
import { MAX_PENDING_DEVICES_PER_CLIENT, MAX_POINTS_PER_DEVICE } from './limits.js';
import type { FeedBatch, HelloMessage, PowerPoint, UpdateMessage } from './live-types.js';

/** Where an SSE client writes: an HTTP response in production, an array in tests. */
export interface SseSink {
  /** Returns false when the socket buffer is full: stop writing until `onDrain`. */
  write(chunk: string): boolean;
  onDrain(callback: () => void): void;
}

interface Pending {
  row: FleetDeviceRow | undefined;
  points: PowerPoint[];
  footprint: DeviceFootprint | undefined;
}

export interface SseClientCounters {
  messages: number;
  droppedUpdates: number;
  droppedPoints: number;
  /** Flushes skipped because the browser was not reading fast enough (socket back-pressure). */
  blockedFlushes: number;
}

/**
 * One browser's event stream. Updates are coalesced per device into a bounded buffer and written at most once per
 * flush; while the socket is back-pressured nothing is written and the buffer keeps only the latest row per device.
 */
export class SseClient {
  readonly counters: SseClientCounters = { messages: 0, droppedUpdates: 0, droppedPoints: 0, blockedFlushes: 0 };
  private pending = new Map<string, Pending>();
  private blocked = false;
  private closed = false;
  private lastAtMs = 0;

  constructor(
    private readonly sink: SseSink,
    /** Only this device's updates (device view), or every device (fleet view). */
    readonly device: string | null,
    private readonly maxPendingDevices = MAX_PENDING_DEVICES_PER_CLIENT,
    private readonly maxPoints = MAX_POINTS_PER_DEVICE,
  ) {}

  hello(message: HelloMessage, retryMs: number): void {
    this.write(`retry: ${retryMs}\nevent: hello\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Merge one feed batch into the pending buffer (filtered by device), then try to flush. */
  offer(batch: FeedBatch): void {
    if (this.closed) return;
    for (const [id, row] of batch.rows) {
      if (this.accepts(id)) {
        const entry = this.entry(id);
        if (entry) entry.row = row;
      }
    }
    if (this.device !== null) {
      const points = batch.points.get(this.device);
      if (points !== undefined && points.length > 0) {
        const entry = this.entry(this.device);
        if (entry) this.counters.droppedPoints += appendBounded(entry.points, points, this.maxPoints);
      }
      const footprint = batch.footprints.get(this.device);
      if (footprint !== undefined) {
        const entry = this.entry(this.device);
        if (entry) entry.footprint = footprint;
      }
    }
    this.lastAtMs = batch.atMs;
    this.flush(batch.atMs);
  }

  heartbeat(nowMs: number): void {
    if (!this.blocked) this.write(`: heartbeat ${nowMs}\n\n`);
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
  }

  get pendingDevices(): number {
    return this.pending.size;
  }

  private accepts(id: string): boolean {
    return this.device === null || this.device === id;
  }

  private entry(id: string): Pending | undefined {
    let entry = this.pending.get(id);
    if (entry === undefined) {
      if (this.pending.size >= this.maxPendingDevices) {
        this.counters.droppedUpdates += 1;
        return undefined;
      }
      entry = { row: undefined, points: [], footprint: undefined };
      this.pending.set(id, entry);
    }
    return entry;
  }

  private flush(atMs: number): void {
    if (this.pending.size === 0 || this.closed) return;
    if (this.blocked) {
      this.counters.blockedFlushes += 1;
      return;
    }
    const message: UpdateMessage = { atMs, rows: [], points: {}, footprints: {}, dropped: this.counters.droppedUpdates + this.counters.droppedPoints };
    for (const [id, entry] of this.pending) {
      if (entry.row !== undefined) message.rows.push(entry.row);
      if (entry.points.length > 0) message.points[id] = entry.points;
      if (entry.footprint !== undefined) message.footprints[id] = entry.footprint;
    }
    this.pending = new Map();
    this.counters.messages += 1;
    this.write(`event: update\ndata: ${JSON.stringify(message)}\n\n`);
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (!this.sink.write(chunk)) {
      this.blocked = true;
      this.sink.onDrain(() => {
        this.blocked = false;
        this.flush(this.lastAtMs);
      });
    }
  }
}
