/**
 * The outbox writer over a real SQLite outbox, into a target that fails on demand (a LocalWindowStore over a second
 * SQLite store, behind a switch): order, batches, the persisted cursor, retries, the backlog cap, health.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreRejectedError, StoreUnavailableError } from '../../../src/domain/errors.js';
import type { DeviceAggregate } from '../../../src/domain/types.js';
import { LocalWindowStore } from '../../../src/store/local-window-store.js';
import { OutboxWriter } from '../../../src/store/outbox/outbox-writer.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { WindowOutbox } from '../../../src/store/window-outbox.js';
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
    await waitFor('the backlog to drain', () => writer.backlog === 0 && writer.persistedThrough === 5);
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
    target.failWith = new StoreRejectedError('A 401 Unauthorized error occurred: authorization failed', 401); // the setup, not a point: retried
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

  it('splits a batch the target refuses points of until they are alone, keeps them as dead letters by reason, and goes on', async () => {
    const { local, remote, target } = await setUp();
    // A target that refuses seq 3 and seq 6 (as InfluxDB refuses a point beyond its retention policy) and writes the rest.
    const refusing: WindowStore = {
      kind: 'refusing',
      capabilities: target.capabilities,
      writeWindows: async (windows) => {
        const refused = windows.filter((window) => window.seq === 3 || window.seq === 6);
        await target.writeWindows(windows.filter((window) => !refused.includes(window)));
        if (refused.length > 0) {
          throw new StoreRejectedError(`InfluxDB write: partial write: points beyond retention policy dropped=${refused.length}`, 400);
        }
      },
      aggregates: (ids) => target.aggregates(ids),
      close: async () => undefined,
    };
    await local.appendWindows([0, 1, 2, 3, 4, 5, 6, 7].map((seq) => contractWindow('a', seq)));
    const writer = writerFor(local, refusing, { lingerMs: 0 });
    await writer.start();
    await waitFor('the backlog to drain', () => writer.backlog === 0 && writer.writtenThrough === 8);
    const status = writer.status();
    expect(status.rejected).toEqual({ beyond_retention: 2 });
    expect(status.counters).toMatchObject({ windowsDeadLettered: 2, windowsWritten: 8, writeErrorsRejected: 0 });
    expect(status.details).toMatchObject({
      deadLetters: 2,
      recentDeadLetters: [
        { seq: 6, reason: 'beyond_retention' },
        { seq: 3, reason: 'beyond_retention' },
      ],
    });
    const dead = await local.listDeadLetters('test-target', 10);
    expect(dead.total).toBe(2);
    expect(dead.letters.map((letter) => [letter.window.seq, letter.reason, letter.commitSeq])).toEqual([
      [6, 'beyond_retention', 7],
      [3, 'beyond_retention', 4],
    ]);
    expect(dead.letters[0]?.detail).toMatch(/points beyond retention policy/);
    // Everything else reached the target once; it goes on with later commits.
    expect((await remote.getAggregate('a'))?.windows).toBe(6);
    await local.appendWindows([contractWindow('a', 8)]);
    await waitFor('the next commit', () => writer.writtenThrough === 9);
    expect((await remote.getAggregate('a'))?.windows).toBe(7);
    // A restarted writer reads the dead letters back for its health.
    await writer.stop();
    const next = writerFor(local, refusing);
    await next.start();
    expect(next.status().details).toMatchObject({ deadLetters: 2 });
  });

  it('a transient failure in the middle of a split retries only what the split has not settled, not the whole batch again', async () => {
    const { local, remote, target } = await setUp();
    const requests: number[][] = [];
    let failNext = 6; // the 6th request (inside the split) times out once
    const refusing: WindowStore = {
      kind: 'refusing',
      capabilities: target.capabilities,
      writeWindows: async (windows) => {
        requests.push(windows.map((window) => window.seq));
        if (requests.length === failNext) {
          failNext = 0;
          throw new StoreUnavailableError('timed out');
        }
        const refused = windows.filter((window) => window.seq % 2 === 1); // interleaved with the good ones
        await target.writeWindows(windows.filter((window) => !refused.includes(window)));
        if (refused.length > 0) throw new StoreRejectedError(`InfluxDB write: partial write: points beyond retention policy dropped=${refused.length}`, 400);
      },
      aggregates: (ids) => target.aggregates(ids),
      close: async () => undefined,
    };
    await local.appendWindows([0, 1, 2, 3, 4, 5, 6, 7].map((seq) => contractWindow('a', seq)));
    const writer = writerFor(local, refusing, { lingerMs: 0 });
    await writer.start();
    await waitFor('the batch settled', () => writer.writtenThrough === 8);
    // [0..7], [0..3], [0,1] refused; [0] written; [1] refused alone; then [2,3] times out (request 6). The retry sends
    // what is not settled yet, [2..7] in one request: never [0] or [1] again.
    expect(requests.slice(0, 7)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3], [0, 1], [0], [1], [2, 3], [2, 3, 4, 5, 6, 7]]);
    expect(requests.slice(6).flat()).not.toContain(0);
    expect(requests.slice(6).flat()).not.toContain(1);
    expect(writer.status().rejected).toEqual({ beyond_retention: 4 });
    expect((await local.listDeadLetters('test-target', 10)).letters.map((letter) => letter.window.seq).sort()).toEqual([1, 3, 5, 7]);
    expect((await remote.getAggregate('a'))?.windows).toBe(4);
  });

  it('a 400 it does not know as a refusal of points (a server limit such as max-values-per-tag) is retried, not dead-lettered', async () => {
    const { local, remote, target } = await setUp();
    // InfluxDB 1.x's answer past its max-values-per-tag limit: the points are fine, the limit is the operator's to raise.
    target.failWith = new StoreRejectedError(
      'InfluxDB write: partial write: max-values-per-tag limit exceeded (100000/100000): measurement="energy_window" tag="device" value="a" dropped=2',
      400,
    );
    await local.appendWindows([0, 1].map((seq) => contractWindow('a', seq)));
    const writer = writerFor(local, target, { lingerMs: 0 });
    await writer.start();
    await waitFor('two failed attempts', () => target.batches.length >= 2);
    expect(writer.status().counters).toMatchObject({ windowsDeadLettered: 0, windowsWritten: 0 });
    expect(writer.status().counters.writeErrorsRejected).toBeGreaterThanOrEqual(1);
    expect((await local.listDeadLetters('test-target', 10)).total).toBe(0);
    target.failWith = null; // the limit raised
    await waitFor('both written', () => writer.writtenThrough === 2);
    expect((await remote.getAggregate('a'))?.windows).toBe(2);
  });

  it('a batch re-sent after a crash refuses the same windows again: the dead letters are counted once', async () => {
    const { local, remote, target } = await setUp();
    let down = true; // seq 2 fails transiently while the first writer runs: it never goes idle (as if it crashed there)
    const refusing: WindowStore = {
      kind: 'refusing',
      capabilities: target.capabilities,
      writeWindows: async (windows) => {
        if (down && windows.some((window) => window.seq === 2)) throw new StoreUnavailableError('down');
        const refused = windows.filter((window) => window.seq === 1);
        await target.writeWindows(windows.filter((window) => !refused.includes(window)));
        if (refused.length > 0) throw new StoreRejectedError(`InfluxDB write: partial write: points beyond retention policy dropped=${refused.length}`, 400);
      },
      aggregates: (ids) => target.aggregates(ids),
      close: async () => undefined,
    };
    await local.appendWindows([0, 1, 2].map((seq) => contractWindow('a', seq)));
    const first = writerFor(local, refusing, { lingerMs: 0, batchWindows: 1, cursorPersistMs: 60_000 });
    await first.start();
    await waitFor('seq 1 dead-lettered and seq 2 failing', () => first.writtenThrough === 2 && (first.status().counters.writeErrorsUnavailable ?? 0) >= 1);
    expect(first.status().counters.windowsDeadLettered).toBe(1);
    expect(await local.outboxCursor('test-target')).toBe(1); // persisted after seq 0 only
    down = false;
    const next = writerFor(local, refusing, { lingerMs: 0 }); // the restart, over the same outbox
    await next.start();
    expect(next.status().details).toMatchObject({ deadLetters: 1 });
    await waitFor('the re-sent batch written', () => next.writtenThrough === 3);
    expect(next.status().details).toMatchObject({ deadLetters: 1 });
    expect(next.status().counters.windowsDeadLettered ?? 0).toBe(0);
    expect(next.status().rejected).toEqual({});
    expect((await local.listDeadLetters('test-target', 10)).total).toBe(1);
    expect((await remote.getAggregate('a'))?.windows).toBe(2);
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

  it('takes what this process commits without reading it back, and reads the outbox for what another connection committed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-outbox-writer-'));
    const file = path.join(dir, 'store.db');
    const local = SqliteStore.open(file);
    const other = SqliteStore.open(file); // a second connection: its commits are not handed over
    const remote = SqliteStore.open(':memory:');
    cleanups.push(async () => {
      await other.close();
      await local.close();
      await remote.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await local.createDevices([contractDevice('a')]);
    await remote.createDevices([contractDevice('a')]);
    const target = new SwitchedTarget(new LocalWindowStore(remote));
    const reads: number[] = [];
    const outbox: WindowOutbox = {
      readOutbox: async (after, limit) => {
        const entries = await local.readOutbox(after, limit);
        if (entries.length > 0) reads.push(after); // an idle poll that finds nothing is not a read back
        return entries;
      },
      outboxHead: () => local.outboxHead(),
      outboxCursor: (name) => local.outboxCursor(name),
      setOutboxCursor: (name, seq) => local.setOutboxCursor(name, seq),
      onCommitted: (listener) => local.onCommitted(listener),
      addDeadLetters: (name, letters) => local.addDeadLetters(name, letters),
      listDeadLetters: (name, limit) => local.listDeadLetters(name, limit),
    };
    const writer = writerFor(local, target, { outbox, lingerMs: 0 });
    await writer.start();
    for (const seq of [0, 1, 2]) {
      await local.appendWindows([contractWindow('a', seq)]);
      await waitFor(`window ${seq} written`, () => writer.writtenThrough === seq + 1);
    }
    expect(reads).toEqual([]); // nothing read back: the commits were handed over
    await other.appendWindows([contractWindow('a', 3)]); // commit 4, by another connection
    await local.appendWindows([contractWindow('a', 4)]); // commit 5 follows a gap: read from the outbox
    await waitFor('both written', () => writer.writtenThrough === 5);
    expect(reads).toContain(3);
    expect(target.batches.flat()).toEqual([0, 1, 2, 3, 4]);
    expect(await remote.getAggregate('a')).toEqual(await local.getAggregate('a'));
  });

  it('lets a trickle of commits fill one batch for up to lingerMs instead of one write per commit', async () => {
    const { local, remote, target } = await setUp();
    const writer = writerFor(local, target, { lingerMs: 10_000, batchWindows: 5 });
    await writer.start();
    for (const seq of [0, 1, 2, 3, 4, 5, 6]) await local.appendWindows([contractWindow('a', seq)]); // 7 commits of one window
    await waitFor('the first full batch', () => writer.writtenThrough === 5);
    expect(target.batches).toEqual([[0, 1, 2, 3, 4]]); // the batch filled before the linger ran out
    await writer.stop(); // stopping writes what lingers
    expect(target.batches).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6],
    ]);
    expect(await local.outboxCursor('test-target')).toBe(7);
    expect(await remote.getAggregate('a')).toEqual(await local.getAggregate('a'));
  });

  it('persists its cursor at most every cursorPersistMs while batches flow; a restart re-sends from there, and the target keeps one copy', async () => {
    const { local, remote, target } = await setUp();
    // The first writer's target refuses seq 2 for good: it keeps retrying, never idle, never stopped (as if it crashed there).
    const stuck: WindowStore = {
      ...target,
      kind: 'stuck',
      capabilities: target.capabilities,
      writeWindows: (windows) =>
        windows.some((window) => window.seq === 2) ? Promise.reject(new StoreUnavailableError('down')) : target.writeWindows(windows),
      aggregates: (ids) => target.aggregates(ids),
      close: async () => undefined,
    };
    await local.appendWindows([0, 1, 2].map((seq) => contractWindow('a', seq)));
    const writer = writerFor(local, stuck, { lingerMs: 0, batchWindows: 1, cursorPersistMs: 60_000 });
    await writer.start();
    await waitFor('seq 2 to fail', () => writer.writtenThrough === 2 && (writer.status().counters.writeErrorsUnavailable ?? 0) >= 1);
    expect(writer.persistedThrough).toBe(1); // persisted after the first batch, not again within cursorPersistMs
    expect(await local.outboxCursor('test-target')).toBe(1);
    const next = writerFor(local, target, { lingerMs: 0 });
    await next.start();
    await waitFor('the restart to re-send', () => next.writtenThrough === 3);
    expect(target.batches.flat()).toEqual([0, 1, 1, 2]);
    expect(await remote.getAggregate('a')).toEqual(await local.getAggregate('a')); // seq 1 written twice, stored once
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
