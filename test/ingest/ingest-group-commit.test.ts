/** IngestService's group commit: submissions from every source that arrive together share one store transaction. */
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError, WindowRefusedError } from '../../src/domain/errors.js';
import type { EnergyWindow } from '../../src/domain/types.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { OverloadError } from '../../src/ingest/micro-batcher.js';
import { LiveBus, type LiveEvent } from '../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AppendGroupOutcome, AppendRequest } from '../../src/store/store.js';
import { waitFor } from '../helpers/wait-for.js';

const T0 = 1_764_000_000_000;
const window = (deviceId: string, seq: number, overrides: Partial<EnergyWindow> = {}): EnergyWindow => ({
  deviceId,
  seq,
  startMs: T0 + seq * 1000,
  durationS: 1,
  energyJ: 0.01,
  sampleCount: 10,
  minPowerW: 0.005,
  maxPowerW: 0.02,
  inferenceCount: 1,
  source: 'test',
  startStampedBy: 'device',
  ...overrides,
});

/** A real store whose group commits are recorded and can be held back (`hold`) until released. */
interface RecordingStore extends SqliteStore {
  groups: AppendRequest[][];
  hold: Promise<void> | null;
}

function recordingStore(): RecordingStore {
  const store = Object.assign(SqliteStore.open(':memory:'), { groups: [] as AppendRequest[][], hold: null as Promise<void> | null });
  const commit = store.appendWindowGroups.bind(store);
  store.appendWindowGroups = async (requests: readonly AppendRequest[]): Promise<AppendGroupOutcome[]> => {
    store.groups.push([...requests]);
    if (store.hold !== null) await store.hold;
    return commit(requests);
  };
  return store;
}

describe('IngestService group commit', () => {
  let store: RecordingStore;
  afterEach(async () => {
    await store.close().catch(() => undefined);
  });

  async function service(options: ConstructorParameters<typeof IngestService>[4] = undefined): Promise<IngestService> {
    store = recordingStore();
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC, () => T0 + 3_600_000, options);
    for (const id of ['a', 'b', 'c']) await ingest.announce({ deviceId: id });
    return ingest;
  }

  it('commits concurrent submissions of several sources in one transaction, each with its own result', async () => {
    const ingest = await service();
    const results = await Promise.all([
      ingest.submitWindows([window('a', 0), window('a', 1)]),
      ingest.submitWindows([window('b', 0)], { onRefusal: 'refuse-batch' }),
      ingest.submitWindows([window('a', 1)]), // the first submission's window again: a duplicate
    ]);
    expect(store.groups).toHaveLength(1);
    expect(store.groups[0]).toHaveLength(3);
    expect(results).toEqual([
      { inserted: 2, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 },
      { inserted: 1, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 },
      { inserted: 0, duplicates: 1, rejected: 0, overlaps: 0, seqResets: 0 },
    ]);
    expect(ingest.counters).toMatchObject({ windowsInserted: 3, windowsDuplicate: 1, commits: 1 });
  });

  it('publishes one live event per device per commit (its windows of the whole group, its last window), not one per submission', async () => {
    store = recordingStore();
    const bus = new LiveBus();
    const ingest = new IngestService(store, bus, SEED_DEFAULT_SPEC, () => T0 + 3_600_000);
    for (const id of ['a', 'b']) await ingest.announce({ deviceId: id });
    const events: LiveEvent[] = [];
    bus.subscribe((event) => events.push(event));
    // Single-window submissions, as the embedded broker makes them: one a window, interleaved between two devices.
    const results = await Promise.all([
      ingest.submitWindows([window('a', 0)]),
      ingest.submitWindows([window('b', 0)]),
      ingest.submitWindows([window('a', 1)]),
      ingest.submitWindows([window('a', 1)]), // a duplicate: not in the count
      ingest.submitWindows([window('a', 2)]),
    ]);
    expect(store.groups).toHaveLength(1);
    expect(results.map((result) => result.inserted)).toEqual([1, 1, 1, 0, 1]);
    expect(events).toEqual([
      { type: 'windows', deviceId: 'a', inserted: 3, last: window('a', 2) },
      { type: 'windows', deviceId: 'b', inserted: 1, last: window('b', 0) },
    ]);
    expect(ingest.counters).toMatchObject({ windowsInserted: 4, windowsDuplicate: 1, commits: 1 });
  });

  it('submitWindowsWith calls back once after the commit, and at once (no commit) when every window breaks the rules', async () => {
    const ingest = await service();
    const calls: [unknown, unknown][] = [];
    ingest.submitWindowsWith([window('a', 0)], {}, (error, result) => calls.push([error, result]));
    expect(calls).toEqual([]); // not before the commit
    ingest.submitWindowsWith([window('a', 9, { energyJ: 1e6 })], {}, (error, result) => calls.push([error, result]));
    expect(calls).toEqual([[null, { inserted: 0, duplicates: 0, rejected: 1, overlaps: 0, seqResets: 0 }]]);
    await waitFor('the commit', () => (calls.length === 2 ? true : null));
    expect(calls[1]).toEqual([null, { inserted: 1, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 }]);
    expect(store.groups).toHaveLength(1);
  });

  it('resolves a submission only after the commit that holds it; submissions made meanwhile share the next one', async () => {
    const ingest = await service();
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    let firstDone = false;
    const first = ingest.submitWindows([window('a', 0)]).then((result) => {
      firstDone = true;
      return result;
    });
    await waitFor('the first commit to begin', () => store.groups.length === 1 || null, { intervalMs: 1 });
    const later = [ingest.submitWindows([window('b', 0)]), ingest.submitWindows([window('c', 0)])];
    await new Promise((resolve) => setImmediate(resolve));
    expect(firstDone).toBe(false);
    release();
    store.hold = null;
    expect((await first).inserted).toBe(1);
    expect((await Promise.all(later)).map((result) => result.inserted)).toEqual([1, 1]);
    expect(store.groups.map((group) => group.length)).toEqual([1, 2]);
  });

  it('fails only the submission that holds a refused window (refuse-batch), counting its refusal', async () => {
    const ingest = await service();
    await ingest.submitWindows([window('a', 0)]);
    const [refused, stored] = await Promise.allSettled([
      ingest.submitWindows([window('a', 5, { startMs: T0 + 500 })], { onRefusal: 'refuse-batch' }), // overlaps a#0
      ingest.submitWindows([window('b', 0)]),
    ]);
    expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(WindowRefusedError);
    expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(ValidationError);
    expect(stored).toEqual({ status: 'fulfilled', value: expect.objectContaining({ inserted: 1 }) });
    expect(store.groups.at(-1)).toHaveLength(2);
    expect(ingest.counters).toMatchObject({ windowsInserted: 2, windowsRejected: 1, rejectedByReason: { overlap: 1 } });
  });

  it('refuses a submission at once beyond the pending-window limit, counts it, and stores nothing of it', async () => {
    const ingest = await service({ lingerMs: 2, maxBatchItems: 500, maxPendingItems: 3 });
    const accepted = ingest.submitWindows([window('a', 0), window('a', 1)]);
    await expect(ingest.submitWindows([window('b', 0), window('b', 1)])).rejects.toBeInstanceOf(OverloadError);
    expect((await accepted).inserted).toBe(2);
    expect(ingest.counters.submitsOverloaded).toBe(1);
    expect(await store.getAggregate('b')).toBeUndefined();
  });

  it('close commits what was submitted before it', async () => {
    const ingest = await service();
    const submitted = ingest.submitWindows([window('a', 0)]);
    await ingest.close();
    expect((await submitted).inserted).toBe(1);
    expect((await store.getAggregate('a'))?.windows).toBe(1);
  });
});
