/**
 * The outbox writer over a real SQLite outbox, into a target that fails on demand (a LocalWindowStore over a second
 * SQLite store, behind a switch): order, batches, the persisted cursor, retries, the backlog cap, health.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreRejectedError, StoreUnavailableError } from '../../../src/domain/errors.js';
import type { DeviceAggregate } from '../../../src/domain/types.js';
import { LocalWindowStore } from '../../../src/store/local-window-store.js';
import { OutboxWriter } from '../../../src/store/outbox/outbox-writer.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { StoredWindow, WindowStore } from '../../../src/store/window-store.js';
import { waitFor } from '../../helpers/wait-for.js';
import { contractDevice, contractWindow } from '../store-contract.js';

/** A target whose next writes fail with `failWith` while it is set; records every batch it was given. */
class SwitchedTarget implements WindowStore {
  readonly kind = 'switched';
  readonly capabilities = { readAfterWrite: 'immediate' as const, maxReadLagMs: 0, networked: true };
  failWith: Error | null = null;
  readonly batches: number[][] = [];
  constructor(readonly inner: LocalWindowStore) {}
  async writeWindows(windows: readonly StoredWindow[]): Promise<void> {
    this.batches.push(windows.map((window) => window.seq));
    if (this.failWith !== null) throw this.failWith;
    await this.inner.writeWindows(windows);
  }
  aggregates(ids: readonly string[]): Promise<Map<string, DeviceAggregate>> {
    return this.inner.aggregates(ids);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const FAST_RETRY = { initialMs: 2, maxMs: 8, factor: 2, jitter: 'none' as const };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(devices = ['a']): Promise<{ local: SqliteStore; remote: SqliteStore; target: SwitchedTarget }> {
  const local = SqliteStore.open(':memory:');
  const remote = SqliteStore.open(':memory:');
  await local.createDevices(devices.map((id) => contractDevice(id)));
  await remote.createDevices(devices.map((id) => contractDevice(id)));
  const target = new SwitchedTarget(new LocalWindowStore(remote));
  cleanups.push(async () => {
    await local.close();
    await remote.close();
  });
  return { local, remote, target };
}

function writerFor(local: SqliteStore, target: WindowStore, options: Partial<ConstructorParameters<typeof OutboxWriter>[0]> = {}): OutboxWriter {
  const writer = new OutboxWriter({ outbox: local, target, targetName: 'test-target', backoff: FAST_RETRY, idlePollMs: 5, stopDrainMs: 1_000, ...options });
  cleanups.push(() => writer.stop());
  return writer;
}

describe('OutboxWriter', () => {
  it('writes committed windows in commit order, in batches, and persists its cursor; a new writer resumes there', async () => {
    const { local, remote, target } = await setUp();
    await local.appendWindows([0, 1, 2, 3, 4].map((seq) => contractWindow('a', seq)));
    const writer = writerFor(local, target, { batchWindows: 2 });
    await writer.start();
    await waitFor('the backlog to drain', () => writer.backlog === 0 && writer.writtenThrough === 5);
    expect(target.batches).toEqual([[0, 1], [2, 3], [4]]);
    expect(await local.outboxCursor('test-target')).toBe(5);
    await writer.stop();
    await local.appendWindows([contractWindow('a', 5)]);
    const next = writerFor(local, target, { batchWindows: 2 });
    await next.start();
    await waitFor('the new window', () => next.writtenThrough === 6);
    expect(target.batches.at(-1)).toEqual([5]);
    expect(await remote.getAggregate('a')).toEqual(await local.getAggregate('a'));
  });

  it('retries the same batch with backoff while the target fails, counts the failures by class, then drains everything once', async () => {
    const { local, remote, target } = await setUp();
    target.failWith = new StoreUnavailableError('connect ECONNREFUSED');
    const writer = writerFor(local, target, { batchWindows: 100 });
    await writer.start();
    await local.appendWindows([0, 1, 2].map((seq) => contractWindow('a', seq)));
    writer.notifyCommitted(3);
    await waitFor('three failed attempts', () => target.batches.length >= 3);
    const during = writer.status();
    expect(during.state).toBe('retrying');
    expect(during.counters.backlogWindows).toBe(3);
    expect(during.counters.writeErrorsUnavailable).toBeGreaterThanOrEqual(3);
    expect(during.lastError).toMatch(/ECONNREFUSED/);
    target.failWith = new StoreRejectedError('A 400 Bad Request error occurred: field type conflict', 400);
    await waitFor('a rejected attempt', () => (writer.status().counters.writeErrorsRejected ?? 0) >= 1);
    await local.appendWindows([contractWindow('a', 3)]); // committed during the outage
    writer.notifyCommitted(1);
    expect(writer.backlog).toBe(4);
    target.failWith = null;
    await waitFor('the backlog to drain', () => writer.backlog === 0 && writer.writtenThrough === 4);
    // Every attempt before recovery carried the same first batch; nothing was skipped.
    expect(new Set(target.batches.slice(0, -1).map((batch) => batch.join(',')))).toEqual(new Set(['0,1,2']));
    expect(await remote.getAggregate('a')).toEqual(await local.getAggregate('a'));
    expect(writer.status()).toMatchObject({ state: expect.stringMatching(/idle|writing/), counters: { backlogWindows: 0, lagUs: 0, windowsWritten: 4 } });
  });

  it('refuses (and counts) once the backlog holds its cap, and admits again once it drained below', async () => {
    const { local, target } = await setUp();
    target.failWith = new StoreUnavailableError('timed out');
    const writer = writerFor(local, target, { backlogCapWindows: 3 });
    await writer.start();
    expect(writer.refusal()).toBeNull();
    await local.appendWindows([0, 1, 2].map((seq) => contractWindow('a', seq)));
    writer.notifyCommitted(3);
    expect(writer.refusal()).toMatch(/3 windows wait to be written to switched \(cap 3\)/);
    expect(writer.status().counters.submitsRefused).toBe(1);
    target.failWith = null;
    await waitFor('the backlog to drain', () => writer.backlog === 0);
    expect(writer.refusal()).toBeNull();
  });

  it('reports the lag of the oldest unwritten window from its commit time', async () => {
    let nowMs = 1_000_000;
    const local = SqliteStore.open(':memory:', { clock: () => nowMs });
    cleanups.push(() => local.close());
    await local.createDevices([contractDevice('a')]);
    const failing: WindowStore = {
      kind: 'down',
      capabilities: { readAfterWrite: 'immediate', maxReadLagMs: 0, networked: true },
      writeWindows: () => Promise.reject(new StoreUnavailableError('down')),
      aggregates: async () => new Map(),
      close: async () => undefined,
    };
    await local.appendWindows([contractWindow('a', 0)]);
    const writer = writerFor(local, failing, { clock: () => nowMs });
    await writer.start();
    await waitFor('a failed attempt', () => (writer.status().counters.writeErrorsUnavailable ?? 0) >= 1);
    nowMs += 30_000;
    expect(writer.status().counters.lagUs).toBe(30_000_000);
  });
});
