import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import type { EnergyWindow } from '../../src/domain/types.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { LiveBus, type LiveEvent } from '../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const window = (deviceId: string, seq: number): EnergyWindow => ({
  deviceId,
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

describe('IngestService', () => {
  it('announces a device once with the default spec and publishes live events for stored windows only', async () => {
    const store = SqliteStore.open(':memory:');
    const bus = new LiveBus();
    const events: LiveEvent[] = [];
    bus.subscribe((event) => events.push(event));
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC);

    const device = await ingest.announce({ deviceId: 'n1', board: 'NUCLEO-U575ZI-Q', fleet: 'lab' });
    expect(device).toMatchObject({ id: 'n1', name: 'n1 (NUCLEO-U575ZI-Q)', fleet: 'lab', spec: SEED_DEFAULT_SPEC });
    await ingest.announce({ deviceId: 'n1', board: 'other' });
    expect(ingest.counters.devicesAnnounced).toBe(1);

    expect(await ingest.submitWindows([window('n1', 0), window('n1', 1)])).toEqual({ inserted: 2, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });
    expect(await ingest.submitWindows([window('n1', 1)])).toEqual({ inserted: 0, duplicates: 1, rejected: 0, overlaps: 0, seqResets: 0 });
    expect(ingest.counters).toMatchObject({ windowsInserted: 2, windowsDuplicate: 1, windowsRejected: 0, devicesAnnounced: 1 });
    expect(events.map((event) => event.type)).toEqual(['device', 'windows']);
    expect(events[1]).toMatchObject({ type: 'windows', deviceId: 'n1', inserted: 2, last: { seq: 1 } });
    await store.close();
  });

  it('drops implausible windows from any source with a counted reason, stores the rest, and publishes per device', async () => {
    const store = SqliteStore.open(':memory:');
    const bus = new LiveBus();
    const events: LiveEvent[] = [];
    bus.subscribe((event) => events.push(event));
    const nowMs = 1_764_000_000_000;
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, () => nowMs);
    await ingest.announce({ deviceId: 'a' });
    await ingest.announce({ deviceId: 'b' });
    events.length = 0;
    const result = await ingest.submitWindows([
      window('a', 0),
      { ...window('a', 1), energyJ: 1e7 }, // 10 MW: µJ sent as J
      { ...window('b', 0), startMs: 0 }, // unset device clock
      { ...window('b', 1), startMs: nowMs + 2 * 86_400_000 }, // µs sent as ms would be far further; two days ahead is still refused
      window('b', 2),
      window('b', 3),
    ]);
    expect(result).toEqual({ inserted: 3, duplicates: 0, rejected: 3, overlaps: 0, seqResets: 0 });
    expect(ingest.counters.rejectedByReason).toEqual({ power_out_of_range: 1, start_before_2000: 1, start_in_future: 1 });
    expect(ingest.counters.lastRejection).toMatch(/^test b#1: start .* more than a day in the future/);
    expect(await store.getAggregate('a')).toMatchObject({ windows: 1, energyJ: 0.01 });
    expect(await store.getAggregate('b')).toMatchObject({ windows: 2, maxSeq: 3 });
    expect(events).toEqual([
      { type: 'windows', deviceId: 'a', inserted: 1, last: window('a', 0) },
      { type: 'windows', deviceId: 'b', inserted: 2, last: window('b', 3) },
    ]);
    events.length = 0;
    expect(await ingest.submitWindows([window('a', 0), window('b', 4)])).toEqual({ inserted: 1, duplicates: 1, rejected: 0, overlaps: 0, seqResets: 0 });
    expect(events.map((event) => event.deviceId)).toEqual(['b']);
    await store.close();
  });

  it('a throwing live listener does not break ingest; it is counted', async () => {
    const store = SqliteStore.open(':memory:');
    const bus = new LiveBus();
    bus.subscribe(() => {
      throw new Error('listener bug');
    });
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC);
    await ingest.announce({ deviceId: 'n2' });
    expect(await ingest.submitWindows([window('n2', 0)])).toEqual({ inserted: 1, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });
    expect(bus.listenerErrors).toBe(2);
    await store.close();
  });

  it('checks every window once against the window rules: a malformed one is dropped and counted, not a failed batch', async () => {
    const store = SqliteStore.open(':memory:');
    const nowMs = 1_764_000_000_000;
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC, () => nowMs);
    await ingest.announce({ deviceId: 'm' });
    // NaN is no plausibility failure (every comparison with it is false): the shape check catches it.
    const result = await ingest.submitWindows([window('m', 0), { ...window('m', 1), energyJ: Number.NaN }, window('m', 2)]);
    expect(result).toEqual({ inserted: 2, duplicates: 0, rejected: 1, overlaps: 0, seqResets: 0 });
    expect(ingest.counters.rejectedByReason).toEqual({ malformed: 1 });
    expect(ingest.counters.lastRejection).toBe('test m#1: window.energyJ must be finite and >= 0');
    expect(await store.getAggregate('m')).toMatchObject({ windows: 2, maxSeq: 2 });
    await store.close();
  });

  it("with onRefusal 'refuse-batch' (HTTP), a refused window stores none of the batch: ValidationError naming the first, each counted", async () => {
    const store = SqliteStore.open(':memory:');
    const nowMs = 1_764_000_000_000;
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC, () => nowMs);
    await ingest.announce({ deviceId: 'h' });
    const batch = [window('h', 0), { ...window('h', 1), startMs: 0 }, { ...window('h', 2), energyJ: 1e7 }];
    const error = await ingest.submitWindows(batch, { onRefusal: 'refuse-batch' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ message: expect.stringMatching(/^windows\.1: start 0 ms is before 2000-01-01/), details: ['reason: start_before_2000'] });
    expect(await store.getAggregate('h')).toBeUndefined();
    expect(ingest.counters).toMatchObject({ windowsInserted: 0, windowsRejected: 2, rejectedByReason: { start_before_2000: 1, power_out_of_range: 1 } });
    await store.close();
  });
});
