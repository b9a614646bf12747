/**
 * The store of one instance among several (docs/fleet-truth.md): the local SQLite store keeps the registry copy, the
 * identity judge and the outbox; aggregates — what the fleet index, the device routes and the footprints read — come
 * from the shared window store (InfluxDB), which holds every instance's windows; registrations and edits are written
 * to the shared registry, and `syncRegistry()` brings every other instance's into the local copy by the conflict
 * rule (last writer wins by updatedAt, ties by instance). Per-window reads (lists, ranges, series) stay local.
 */
import type { AppendOptions, AppendResult, Device, DeviceAggregate, DeviceInput, DevicePatch, EnergyWindow } from '../domain/types.js';
import { compareKeys, entryKeyOf, type EntryKey, type InfluxRegistry } from './influx/influx-registry.js';
import type { SqliteStore } from './sqlite/sqlite-store.js';
import type {
  AppendGroupOutcome,
  AppendRequest,
  DeviceWithAggregate,
  ListAggregatesQuery,
  ListDevicesQuery,
  SeriesBucket,
  Store,
  WindowCursor,
  WindowRangeQuery,
} from './store.js';
import type { DeadLetter, OutboxEntry, WindowOutbox } from './window-outbox.js';
import type { StoredWindow, WindowStore } from './window-store.js';

export interface RegistrySyncResult {
  /** Local writes sent to the shared registry now (those that had failed before included). */
  pushed: number;
  /** Entries of other instances taken into the local copy. */
  adopted: number;
}

export class SharedStore implements Store, WindowOutbox {
  readonly kind: string;
  /** The key of the entry each device's local copy holds (written here or adopted): only a greater one replaces it. */
  private readonly held = new Map<string, EntryKey>();
  /** Devices whose registry write failed (InfluxDB down): written at the next sync. Ids of the local registry, so bounded by it. */
  private readonly pending = new Set<string>();
  /** Each device's aggregate as the last read of its page (the fleet load and syncs) found it; bounded by the registry. */
  private readonly synced = new Map<string, DeviceAggregate | undefined>();

  constructor(
    private readonly local: SqliteStore,
    private readonly windows: WindowStore,
    private readonly registry: InfluxRegistry,
    readonly instanceId: string,
  ) {
    this.kind = `shared(${local.kind}+${windows.kind})`;
  }

  /** Devices whose registry write waits for the next sync. */
  get pendingRegistryWrites(): number {
    return this.pending.size;
  }

  async createDevice(input: DeviceInput): Promise<Device> {
    const device = await this.local.createDevice(input);
    await this.publish([device]);
    return device;
  }

  async createDevices(inputs: readonly DeviceInput[], options?: { onExisting?: 'fail' | 'skip' }): Promise<{ created: number; existing: string[] }> {
    const result = await this.local.createDevices(inputs, options);
    const existing = new Set(result.existing);
    const created = (await Promise.all(inputs.filter((input) => !existing.has(input.id)).map((input) => this.local.getDevice(input.id)))).filter(
      (device): device is Device => device !== undefined,
    );
    await this.publish(created);
    return result;
  }

  async updateDevice(id: string, patch: DevicePatch): Promise<Device> {
    const device = await this.local.updateDevice(id, patch);
    await this.publish([device]);
    return device;
  }

  async ensureDevice(input: DeviceInput): Promise<{ device: Device; created: boolean }> {
    const result = await this.local.ensureDevice(input);
    if (result.created) await this.publish([result.device]);
    return result;
  }

  getDevice(id: string): Promise<Device | undefined> {
    return this.local.getDevice(id);
  }

  listDevices(query: ListDevicesQuery): Promise<Device[]> {
    return this.local.listDevices(query);
  }

  countDevices(fleet?: string): Promise<number> {
    return this.local.countDevices(fleet);
  }

  appendWindows(windows: readonly EnergyWindow[], options?: AppendOptions): Promise<AppendResult> {
    return this.local.appendWindows(windows, options);
  }

  appendWindowGroups(requests: readonly AppendRequest[]): Promise<AppendGroupOutcome[]> {
    return this.local.appendWindowGroups(requests);
  }

  /**
   * The device's totals over every instance's windows: as the last fleet sync read them from the shared window store
   * (within the sync's staleness bound; a footprint GET then costs no InfluxDB query and still answers while InfluxDB
   * is down), else read from it now (a device no sync has seen yet).
   */
  async getAggregate(deviceId: string): Promise<DeviceAggregate | undefined> {
    if (this.synced.has(deviceId)) return this.synced.get(deviceId);
    return (await this.windows.aggregates([deviceId])).get(deviceId);
  }

  listWindows(deviceId: string, limit: number): Promise<EnergyWindow[]> {
    return this.local.listWindows(deviceId, limit);
  }

  listInferenceSpans(deviceId: string, limit: number): Promise<EnergyWindow[]> {
    return this.local.listInferenceSpans(deviceId, limit);
  }

  listWindowsInRange(deviceId: string, query: WindowRangeQuery): Promise<{ windows: EnergyWindow[]; next: WindowCursor | null }> {
    return this.local.listWindowsInRange(deviceId, query);
  }

  windowSeries(deviceId: string, query: { fromMs: number; toMs: number; stepMs: number }): Promise<SeriesBucket[]> {
    return this.local.windowSeries(deviceId, query);
  }

  /** A page of the (replicated) registry with each device's totals from the shared window store, in one batched read. */
  async listDevicesWithAggregates(query: ListAggregatesQuery): Promise<DeviceWithAggregate[]> {
    const page = await this.local.listDevicesWithAggregates(query);
    const aggregates = await this.windows.aggregates(page.map((entry) => entry.device.id));
    for (const { device } of page) this.synced.set(device.id, aggregates.get(device.id));
    return page.map(({ device }) => ({ device, aggregate: aggregates.get(device.id) }));
  }

  /**
   * Write the local registrations and edits whose write failed, then take every other instance's winning entry that
   * beats the local copy's. Run before each fleet sync (FleetIndexDeps.beforeSync). Throws when InfluxDB fails.
   */
  async syncRegistry(): Promise<RegistrySyncResult> {
    let pushed = 0;
    if (this.pending.size > 0) {
      // Taken out before the await: an edit whose own write fails meanwhile is pending again, not deleted with these.
      const ids = [...this.pending];
      this.pending.clear();
      try {
        const devices = (await Promise.all(ids.map((id) => this.local.getDevice(id)))).filter((device): device is Device => device !== undefined);
        await this.registry.write(devices, this.instanceId);
        for (const device of devices) this.held.set(device.id, entryKeyOf(device, this.instanceId));
        pushed = devices.length;
      } catch (error) {
        for (const id of ids) this.pending.add(id);
        throw error;
      }
    }
    let adopted = 0;
    for (const entry of await this.registry.winners()) {
      const held = this.held.get(entry.device.id);
      if (held !== undefined && compareKeys(entry.key, held) <= 0) continue;
      if (held === undefined) {
        // Not written or adopted by this process (e.g. after a restart): the local copy is current when it is the same.
        const current = await this.local.getDevice(entry.device.id);
        if (current !== undefined && JSON.stringify(current) === JSON.stringify(entry.device)) {
          this.hold(entry.device.id, entry.key);
          continue;
        }
      }
      await this.local.replaceDevice(entry.device);
      this.hold(entry.device.id, entry.key);
      adopted += 1;
    }
    return { pushed, adopted };
  }

  /** The local store is the outbox (12a's OutboxWriter drains it into InfluxDB). */
  readOutbox(afterCommitSeq: number, limit: number): Promise<OutboxEntry[]> {
    return this.local.readOutbox(afterCommitSeq, limit);
  }

  outboxHead(): Promise<number> {
    return this.local.outboxHead();
  }

  outboxCursor(target: string): Promise<number> {
    return this.local.outboxCursor(target);
  }

  setOutboxCursor(target: string, commitSeq: number): Promise<void> {
    return this.local.setOutboxCursor(target, commitSeq);
  }

  addDeadLetters(target: string, letters: readonly DeadLetter[]): Promise<Set<number>> {
    return this.local.addDeadLetters(target, letters);
  }

  listDeadLetters(target: string, limit: number): Promise<{ total: number; letters: (DeadLetter & { window: StoredWindow })[] }> {
    return this.local.listDeadLetters(target, limit);
  }

  onCommitted(listener: (entries: readonly OutboxEntry[]) => void): () => void {
    return this.local.onCommitted(listener);
  }

  async close(): Promise<void> {
    await this.windows.close().catch(() => {});
    await this.local.close();
  }

  private hold(id: string, key: EntryKey): void {
    const held = this.held.get(id);
    if (held === undefined || compareKeys(key, held) > 0) this.held.set(id, key);
  }

  /** Write the devices to the shared registry; a failure leaves them pending for the next sync (the local commit stands). */
  private async publish(devices: readonly Device[]): Promise<void> {
    // The local copy is now this write, whatever it held before: if another instance's entry beats it, the next sync
    // must see that entry as newer than what is held, and adopt it.
    for (const device of devices) this.held.set(device.id, entryKeyOf(device, this.instanceId));
    try {
      await this.registry.write(devices, this.instanceId);
    } catch {
      for (const device of devices) this.pending.add(device.id);
    }
  }
}
