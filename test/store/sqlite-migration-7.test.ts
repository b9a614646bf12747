import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATION_BUSY_TIMEOUT_MS, migrate } from '../../src/store/sqlite/migrations.js';
import { logSchemaMigration } from '../../src/server/compose.js';
import { SQLITE_BUSY_TIMEOUT_MS, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { versionSixFile, WINDOW_COLUMNS } from '../helpers/version-six-store.js';

const originalPrepare = Database.prototype.prepare;

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-migration7-'));
  file = path.join(dir, 'store.db');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SQLite migration 7 on version-6 files', () => {
  it('numbers windows without a commit number (written by a version-4 process) after the head, in start order', async () => {
    versionSixFile(
      file,
      `INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ('d1', 0, 1000, 1, 1, 1, 0, 'http', 0, 'device', 1);
       INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ('d1', 1, 2000, 1, 1, 1, 0, 'http', 0, 'device', 2);
       -- as version-4 software's INSERT (no commit_seq in its column list) wrote them into a version-5+ file
       INSERT INTO energy_windows (${WINDOW_COLUMNS}) VALUES ('d1', 3, 4000, 1, 1, 1, 0, 'http', 0, 'device');
       INSERT INTO energy_windows (${WINDOW_COLUMNS}) VALUES ('d1', 2, 3000, 1, 1, 1, 0, 'http', 0, 'device');`,
    );
    const store = SqliteStore.open(file);
    expect((await store.readOutbox(0, 10)).map((entry) => [entry.commitSeq, entry.window.seq])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
    ]);
    expect(await store.outboxHead()).toBe(4);
    await store.close();
  });
});

describe('SQLite migrations and foreign keys', () => {
  it("keeps and counts a window whose device was deleted with foreign keys off (the sqlite3 CLI's default)", async () => {
    versionSixFile(
      file,
      `INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ('gone', 0, 1000, 1, 1, 1, 0, 'http', 0, 'device', 1);
       INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ('d1', 0, 1000, 1, 1, 1, 0, 'http', 0, 'device', 2);`,
    );
    const store = SqliteStore.open(file);
    expect(store.schemaMigration).toEqual({ from: 6, to: LATEST_SCHEMA_VERSION, foreignKeyViolations: 1 });
    expect((await store.readOutbox(0, 10)).map((entry) => [entry.commitSeq, entry.window.deviceId])).toEqual([
      [1, 'gone'],
      [2, 'd1'],
    ]);
    await store.close();
  });

  it('the service says the migration once, and warns of the rows kept without their parent', async () => {
    versionSixFile(file, `INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ('gone', 0, 1000, 1, 1, 1, 0, 'http', 0, 'device', 1);`);
    const log = new RecordingLogger();
    const store = SqliteStore.open(file);
    logSchemaMigration(log, store);
    expect(log.lines.map((line) => [line.level, line.fields])).toEqual([
      ['info', { from: 6, to: LATEST_SCHEMA_VERSION }],
      ['warn', { rows: 1 }],
    ]);
    await store.close();
    const again = new RecordingLogger();
    const reopened = SqliteStore.open(file);
    logSchemaMigration(again, reopened);
    expect(again.lines).toEqual([]);
    await reopened.close();
  });

  it('restores foreign key enforcement after migrating', () => {
    versionSixFile(file, '');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    expect(migrate(db)).toMatchObject({ from: 6, to: LATEST_SCHEMA_VERSION });
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.exec(`INSERT INTO energy_windows (${WINDOW_COLUMNS}) VALUES ('ghost', 0, 1000, 1, 1, 1, 0, 'http', 0, 'device')`)).toThrow(/FOREIGN KEY/);
    db.close();
  });
});

describe('SQLite migrations and the write lock', () => {
  it('opens a migrated file while another connection holds the write lock (a rebuild under way elsewhere)', async () => {
    await SqliteStore.open(file).close();
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      // Before: every migration took BEGIN IMMEDIATE, so this waited SQLITE_BUSY_TIMEOUT_MS and failed (database is locked).
      const store = SqliteStore.open(file);
      expect(store.schemaMigration).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION, foreignKeyViolations: 0 });
      await store.close();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('a migration waits MIGRATION_BUSY_TIMEOUT_MS for the write lock; the connection gets its own busy timeout back', () => {
    versionSixFile(file, '');
    const db = new Database(file);
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const timeoutsMs: unknown[] = [];
    const exec = db.exec.bind(db);
    db.exec = (sql: string): Database.Database => {
      timeoutsMs.push(db.pragma('busy_timeout', { simple: true }));
      return exec(sql);
    };
    expect(migrate(db)).toMatchObject({ from: 6, to: LATEST_SCHEMA_VERSION });
    expect(timeoutsMs).toEqual([MIGRATION_BUSY_TIMEOUT_MS]);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(SQLITE_BUSY_TIMEOUT_MS);
    db.close();
  });
});

describe('SQLite migration 7 and the WAL', () => {
  it('truncates the WAL the rebuild filled', async () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => `('d1', ${i}, ${1000 + i * 1000}, 1, 1, 1, 0, 'http', 0, 'device', ${i + 1})`);
    versionSixFile(file, `INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ${rows.join(', ')};`);
    const store = SqliteStore.open(file);
    expect(await store.outboxHead()).toBe(2_000);
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    await store.close();
  });
});

describe("SQLite schema 7: the window lists' plans", () => {
  it('walk a start index in the order of the lists, without a sort (listWindows, listInferenceSpans, the range pages)', async () => {
    // The statements the store itself prepares, so that the plans are those of its SQL.
    const prepared: string[] = [];
    const prepare = vi.spyOn(Database.prototype, 'prepare').mockImplementation(function (this: Database.Database, sql: string) {
      prepared.push(sql);
      return originalPrepare.call(this, sql);
    } as never);
    const store = SqliteStore.open(':memory:');
    prepare.mockRestore();
    await store.close();
    const lists = prepared.filter((sql) => /FROM energy_windows WHERE device_id = \?/.test(sql) && /ORDER BY start_ms.*LIMIT \?/s.test(sql));
    const db = new Database(':memory:');
    migrate(db);
    const plans = lists.map((sql) =>
      db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1))
        .map((row) => row.detail),
    );
    db.close();
    expect(plans).toEqual([
      [expect.stringMatching(/^SEARCH energy_windows USING INDEX energy_windows_device_start \(device_id=\?\)$/)],
      [expect.stringMatching(/^SEARCH energy_windows USING INDEX energy_windows_inference_spans \(device_id=\?\)$/)],
      [expect.stringMatching(/^SEARCH energy_windows USING INDEX energy_windows_device_start \(device_id=\? AND start_ms>\? AND start_ms<\?\)$/)],
    ]);
  });
});
