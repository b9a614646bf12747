import type { Device } from '../../src/domain/types.js';
import { compareKeys, entryKeyOf, type RegistryEntry } from '../../src/store/influx/influx-registry.js';

/** The registry's rule in memory: the entry with the greatest key per device wins; a write can be made to fail or wait. */
export class MemoryRegistry {
  readonly entries: RegistryEntry[] = [];
  failWrites = false;
  private gate: { opened: Promise<void>; started: () => void } | null = null;
  /** The next write waits until `release` is called; `started` resolves once it waits. */
  holdNextWrite(): { started: Promise<void>; release: () => void } {
    let release = (): void => {};
    let started = (): void => {};
    const opened = new Promise<void>((resolve) => (release = resolve));
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    this.gate = { opened, started };
    return { started: isStarted, release };
  }

  async write(devices: readonly Device[], instanceId: string): Promise<void> {
    const gate = this.gate;
    this.gate = null;
    if (gate !== null) {
      gate.started();
      await gate.opened;
    } else if (this.failWrites) throw new Error('influxd down');
    for (const device of devices) this.entries.push({ device: structuredClone(device), key: entryKeyOf(device, instanceId) });
  }

  async winners(): Promise<RegistryEntry[]> {
    const best = new Map<string, RegistryEntry>();
    for (const entry of this.entries) {
      const held = best.get(entry.device.id);
      if (held === undefined || compareKeys(entry.key, held.key) > 0) best.set(entry.device.id, entry);
    }
    return [...best.values()];
  }
}
