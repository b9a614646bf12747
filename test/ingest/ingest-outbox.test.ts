/** Ingest in front of an outbox (store/outbox/outbox-writer.ts): told of every commit, refusing while the backlog is full. */
import { describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../src/domain/types.js';
import { BacklogFullError, IngestService, type IngestOutbox } from '../../src/ingest/ingest-service.js';
import { OverloadError } from '../../src/ingest/micro-batcher.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const window = (seq: number): EnergyWindow => ({
  deviceId: 'n1',
  seq,
  startMs: 1_764_000_000_000 + seq * 1000,
  durationS: 1,
  energyJ: 0.01,
  sampleCount: 10,
  minPowerW: 0.005,
  maxPowerW: 0.02,
  inferenceCount: 1,
  source: 'test',
});

describe('IngestService with an outbox', () => {
  it('tells the outbox how many windows each commit stored (duplicates not), and refuses while it is full: nothing stored', async () => {
    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    const committed: number[] = [];
    let full: string | null = null;
    const outbox: IngestOutbox = { refusal: () => full, notifyCommitted: (windows) => committed.push(windows) };
    ingest.useOutbox(outbox);
    await ingest.announce({ deviceId: 'n1' });
    await ingest.submitWindows([window(0), window(1)]);
    await ingest.submitWindows([window(1)]);
    expect(committed).toEqual([2]);

    full = '7 windows wait to be written to influx (cap 7)';
    const refused = ingest.submitWindows([window(2)]);
    await expect(refused).rejects.toBeInstanceOf(BacklogFullError);
    await expect(refused).rejects.toBeInstanceOf(OverloadError); // every source answers it as a full commit queue
    await expect(refused).rejects.toThrow(/the outbox is full: 7 windows wait/);
    expect(ingest.counters.submitsOverloaded).toBe(1);
    expect((await store.getAggregate('n1'))?.windows).toBe(2);

    full = null;
    await ingest.submitWindows([window(2)]);
    expect(committed).toEqual([2, 1]);
    await ingest.close();
    await store.close();
  });
});
