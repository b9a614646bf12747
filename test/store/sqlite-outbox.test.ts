/** SqliteStore as the outbox (store/window-outbox.ts): commit numbers, the migration that numbers older windows, cursors. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { OutboxEntry } from '../../src/store/window-outbox.js';
import { contractDevice, contractWindow } from './store-contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-outbox-'));
  dirs.push(dir);
  return path.join(dir, 'store.db');
}

describe('SqliteStore outbox', () => {
  it('numbers stored windows 1, 2, 3 … in commit order across appends and groups; duplicates and refusals get none', async () => {
    const store = SqliteStore.open(':memory:');
    await store.createDevices([contractDevice('a'), contractDevice('b')]);
    expect(await store.outboxHead()).toBe(0);
    await store.appendWindows([contractWindow('b', 5), contractWindow('a', 0)]);
    await store.appendWindows([contractWindow('a', 0)]); // a duplicate
    await store.appendWindows([contractWindow('a', 1), contractWindow('a', 2, { startMs: 1_010_500 })]); // seq 2 overlaps seq 1: refused
    await store.appendWindowGroups([
      { windows: [contractWindow('a', 3)] },
      { windows: [contractWindow('ghost', 0)] }, // an unknown device: that request only fails
      { windows: [contractWindow('a', 0, { startMs: 9_000_000, energyJ: 1 })] }, // a re-used seq
    ]);
    const entries = await store.readOutbox(0, 100);
    expect(entries.map((entry) => [entry.commitSeq, entry.window.deviceId, entry.window.seq, entry.window.seqUse])).toEqual([
      [1, 'b', 5, 0],
      [2, 'a', 0, 0],
      [3, 'a', 1, 0],
      [4, 'a', 3, 0],
      [5, 'a', 0, 1],
    ]);
    expect(entries[0]?.window).toEqual({ ...contractWindow('b', 5), seqUse: 0 });
    expect(await store.outboxHead()).toBe(5);
    expect((await store.readOutbox(3, 1)).map((entry) => entry.commitSeq)).toEqual([4]);
    await store.close();
  });

  it('hands each committed transaction to its commit listeners, exactly as readOutbox reads it back; rolled-back requests hand nothing', async () => {
    const store = SqliteStore.open(':memory:');
    await store.createDevices([contractDevice('a'), contractDevice('b')]);
    const handed: OutboxEntry[][] = [];
    const unsubscribe = store.onCommitted((entries) => handed.push([...entries]));
    await store.appendWindows([contractWindow('b', 5), contractWindow('a', 0, { instrument: 'ppk2', span: 'inferences' })]);
    await store.appendWindows([contractWindow('a', 0)]); // a duplicate: no commit number, nothing handed
    await expect(
      store.appendWindows([contractWindow('a', 1), contractWindow('a', 2, { startMs: 1_010_500 })], { onRefusal: 'refuse-batch' }),
    ).rejects.toThrow(); // refused whole: rolled back
    await store.appendWindowGroups([
      { windows: [contractWindow('a', 3)] },
      { windows: [contractWindow('a', 4), contractWindow('a', 5, { startMs: 1_040_500 })], options: { onRefusal: 'refuse-batch' } }, // its SAVEPOINT rolls back
      { windows: [contractWindow('ghost', 0)] }, // an unknown device: that request only fails
      { windows: [contractWindow('b', 6)] },
    ]);
    expect(handed.map((entries) => entries.map((entry) => entry.commitSeq))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(handed.flat()).toEqual(await store.readOutbox(0, 100));
    unsubscribe();
    await store.appendWindows([contractWindow('b', 7)]);
    expect(handed).toHaveLength(2);
    await store.close();
  });

  it('keeps a cursor per target across a reopen, and never moves it back', async () => {
    const file = tempFile();
    const store = SqliteStore.open(file);
    expect(await store.outboxCursor('influx:x')).toBe(0);
    await store.setOutboxCursor('influx:x', 7);
    await store.setOutboxCursor('influx:x', 3);
    await store.setOutboxCursor('influx:y', 1);
    await store.close();
    const reopened = SqliteStore.open(file);
    expect(await reopened.outboxCursor('influx:x')).toBe(7);
    expect(await reopened.outboxCursor('influx:y')).toBe(1);
    await expect(reopened.setOutboxCursor('influx:x', -1)).rejects.toThrow(/non-negative/);
    await reopened.close();
  });

  it('migration 5 numbers the windows stored before it in start order, and later windows continue the count', async () => {
    const file = tempFile();
    const db = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 4)) db.exec(migration.sql);
    db.pragma('user_version = 4');
    db.close();
    // Windows written by version-4 software (no commit_seq column yet), out of start order.
    const v4 = new Database(file);
    v4.exec(`
      INSERT INTO devices VALUES ('d1', 'd1', NULL, 'kws-typical', 'none', 'epa', 5, NULL, '${JSON.stringify(contractDevice('d1').spec)}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
      INSERT INTO energy_windows (device_id, seq, start_ms, duration_s, energy_j, sample_count, inference_count, source, received_ms, start_stamped_by)
        VALUES ('d1', 2, 1020000, 10, 0.5, 100, 3, 'http', 0, 'device'), ('d1', 0, 1000000, 10, 0.5, 100, 3, 'http', 0, 'device'),
               ('d1', 1, 1010000, 10, 0.5, 100, 3, 'http', 0, 'device');
      INSERT INTO device_aggregates (device_id, energy_j, observed_s, windows, samples, inferences, max_seq, first_seen_ms, last_seen_ms, max_duration_s)
        VALUES ('d1', 1.5, 30, 3, 300, 9, 2, 1000000, 1030000, 10);
    `);
    v4.close();
    const store = SqliteStore.open(file);
    await store.appendWindows([contractWindow('d1', 3)]);
    expect((await store.readOutbox(0, 10)).map((entry) => [entry.commitSeq, entry.window.seq])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
    ]);
    await store.close();
  });
});
