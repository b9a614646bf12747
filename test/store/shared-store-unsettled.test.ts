/**
 * A device whose reads never settled (InfluxWindowStore.aggregateParts: `unsettled`, written throughout its reads) keeps
 * the totals served before and is read again at the next fleet pass, even when that was its first read (the startup
 * load): a pass reads only the changed devices it has read before, and nothing else would read this one on an instance
 * that hears none of its windows.
 */
import { expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import type { InfluxRegistry } from '../../src/store/influx/influx-registry.js';
import { foldParts, type PeriodPart } from '../../src/store/influx/aggregate-fold.js';
import { SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { WindowStore } from '../../src/store/window-store.js';
import { MemoryRegistry } from './memory-registry.js';
import { onePart } from './period-parts.js';

const parts: PeriodPart[] = [0, 1].map((n) => ({ ...onePart(n), energyJ: 1, observedS: 10, windows: 1 }));

it('a device unsettled at its first read is read in full at the next pass, which names it as changed', async () => {
  const plans: [string, number][][] = [];
  let unsettledReads = 1;
  const windows = {
    kind: 'fake',
    capabilities: { readAfterWrite: 'immediate', maxReadLagMs: 0, networked: true },
    writeWindows: async () => {},
    aggregates: async () => new Map<string, DeviceAggregate>(),
    close: async () => {},
    changes: async () => [],
    aggregateParts: async (fromMsById: ReadonlyMap<string, number>) => {
      plans.push([...fromMsById]);
      const unsettled = unsettledReads > 0;
      unsettledReads -= 1;
      return new Map([...fromMsById].map(([id]) => [id, unsettled ? { parts, instruments: [], unsettled: true as const } : { parts, instruments: [] }]));
    },
  } as unknown as WindowStore;
  const store = new SharedStore(SqliteStore.open(':memory:'), windows, new MemoryRegistry() as unknown as InfluxRegistry, 'a', () => 0);
  expect(await store.getAggregate('d1')).toBeUndefined(); // nothing settled to serve yet
  const changes = await store.syncFleet();
  expect(plans).toEqual([[['d1', 0]], [['d1', 0]]]);
  expect(changes.aggregates).toEqual(['d1']);
  expect(await store.getAggregate('d1')).toEqual(foldParts('d1', undefined, parts));
  await store.close();
});
