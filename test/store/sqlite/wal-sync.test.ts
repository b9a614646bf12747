import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { ConflictError } from '../../../src/domain/errors.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { WalSync, WalSyncFailedError } from '../../../src/store/sqlite/wal-sync.js';

/** An fdatasync the test finishes by hand, counting the calls. */
function heldSyncs(): { syncFile: () => Promise<void>; calls: number; finish(error?: Error): void } {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const held = {
    calls: 0,
    syncFile: () =>
      new Promise<void>((resolve, reject) => {
        held.calls += 1;
        pending.push({ resolve, reject });
      }),
    finish(error?: Error) {
      const next = pending.shift();
      if (next === undefined) throw new Error('no sync running');
      if (error === undefined) next.resolve();
      else next.reject(error);
    },
  };
  return held;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WalSync', () => {
  it('resolves a commit only with an fdatasync that started after it; those made meanwhile share the next one', async () => {
    const held = heldSyncs();
    const wal = new WalSync(held.syncFile);
    const settled: string[] = [];
    void wal.sync().then(() => settled.push('a'));
    expect(held.calls).toBe(1);
    void wal.sync().then(() => settled.push('b'));
    void wal.sync().then(() => settled.push('c'));
    expect(held.calls).toBe(1); // b and c wait: the running sync may have started before their commits
    held.finish();
    await tick();
    expect(settled).toEqual(['a']);
    expect(held.calls).toBe(2); // one sync for both
    held.finish();
    await tick();
    expect(settled).toEqual(['a', 'b', 'c']);
  });

  it('after a failed fdatasync rejects every waiting and later sync, and runs no more', async () => {
    const held = heldSyncs();
    const wal = new WalSync(held.syncFile);
    const first = wal.sync();
    const second = wal.sync();
    held.finish(new Error('EIO'));
    await expect(first).rejects.toBeInstanceOf(WalSyncFailedError);
    await expect(second).rejects.toThrow(/EIO/);
    await expect(wal.sync()).rejects.toBeInstanceOf(WalSyncFailedError);
    expect(held.calls).toBe(1);
    expect(wal.failure).toBeInstanceOf(WalSyncFailedError);
  });
});

describe('SqliteStore on a file', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('runs SQLite at synchronous = NORMAL and has its WAL file to fdatasync', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-wal-sync-'));
    const file = path.join(dir, 'db.sqlite');
    const store = SqliteStore.open(file);
    try {
      await store.createDevice({ id: 'd1', spec: SEED_DEFAULT_SPEC });
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      const db = (store as unknown as { db: { pragma(sql: string, options: { simple: true }): unknown } }).db;
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL: the fsync is ours (wal-sync.ts)
    } finally {
      await store.close();
    }
  });
});

describe('SqliteStore writes', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('resolve only after an fdatasync of the WAL that started after their commit, and refuse writes once one failed', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-wal-sync-'));
    const held = heldSyncs();
    const store = SqliteStore.open(path.join(dir, 'db.sqlite'), { openWalSync: () => ({ syncFile: held.syncFile, close: () => undefined }) });
    try {
      let created = false;
      const creating = store.createDevice({ id: 'd1', spec: SEED_DEFAULT_SPEC }).then(() => (created = true));
      await tick();
      expect(held.calls).toBe(1);
      expect(created).toBe(false); // committed (visible below), not yet durable: not resolved
      expect(await store.getDevice('d1')).toBeDefined();
      held.finish();
      await creating;
      const window = {
        deviceId: 'd1',
        seq: 0,
        startMs: 1_000,
        durationS: 1,
        energyJ: 1,
        sampleCount: 10,
        minPowerW: 1,
        maxPowerW: 1,
        inferenceCount: 0,
        source: 'test',
      };
      let appended = false;
      const appending = store.appendWindowGroups([{ windows: [window] }]).then(() => (appended = true));
      await tick();
      expect(appended).toBe(false);
      held.finish(new Error('EIO'));
      await expect(appending).rejects.toBeInstanceOf(WalSyncFailedError);
      await expect(store.appendWindows([{ ...window, seq: 1, startMs: 2_000 }])).rejects.toBeInstanceOf(WalSyncFailedError);
      expect((await store.getAggregate('d1'))?.windows).toBe(1); // the second write was refused before its transaction
    } finally {
      held.calls = 0;
      void store.close();
    }
  });

  it('answers a conflict only once the device it found is durable (another call may have just created it)', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-wal-sync-'));
    const held = heldSyncs();
    const store = SqliteStore.open(path.join(dir, 'db.sqlite'), { openWalSync: () => ({ syncFile: held.syncFile, close: () => undefined }) });
    try {
      const first = store.createDevice({ id: 'd1', spec: SEED_DEFAULT_SPEC });
      await tick();
      let settled = 0;
      const again = store.createDevice({ id: 'd1', spec: SEED_DEFAULT_SPEC }).catch((error: unknown) => error);
      const many = store.createDevices([{ id: 'd1', spec: SEED_DEFAULT_SPEC }]).catch((error: unknown) => error);
      void again.then(() => (settled += 1));
      void many.then(() => (settled += 1));
      await tick();
      expect(settled).toBe(0); // d1 is committed, not durable: no 409 for it yet
      held.finish();
      await first;
      await tick();
      held.finish(); // the sync the two conflicts wait for (it started after the first one)
      expect(await again).toBeInstanceOf(ConflictError);
      expect(await many).toBeInstanceOf(ConflictError);
    } finally {
      void store.close();
    }
  });
});
