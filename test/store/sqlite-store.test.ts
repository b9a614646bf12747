import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/domain/errors.js';
import type { AppendResult, EnergyWindow } from '../../src/domain/types.js';
import { defaultDataDir } from '../../src/store/data-dir.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { concurrentWriters } from './concurrent-writers.js';
import { contractDevice, contractWindow, storeContract } from './store-contract.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-sqlite-'));
  tempDirs.push(dir);
  return dir;
}
async function removeTempDirs(): Promise<void> {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

storeContract('SqliteStore :memory:', async () => SqliteStore.open(':memory:'));
storeContract('SqliteStore file', async () => SqliteStore.open(path.join(tempDir(), 'nested', 'store.db')), removeTempDirs);

/** Read-only peek at a database file, bypassing the store. */
function peek<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('SqliteStore (SQLite-specific)', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'store.db');
  });

  afterEach(removeTempDirs);

  describe('migrations', () => {
    it('are numbered 1..N in order', () => {
      expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(LATEST_SCHEMA_VERSION).toBe(7);
    });

    it('create the schema and set user_version; migrate() on a current database does nothing', () => {
      const db = new Database(':memory:');
      expect(migrate(db)).toEqual({ from: 0, to: LATEST_SCHEMA_VERSION, foreignKeyViolations: 0 });
      expect(migrate(db)).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION, foreignKeyViolations: 0 });
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      const tables = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => row.name);
      expect(tables).toEqual(['device_aggregates', 'devices', 'energy_windows', 'outbox_cursors', 'outbox_dead_letters']);
      const columns = (table: string): string[] =>
        db
          .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`)
          .all()
          .map((row) => row.name);
      expect(columns('devices')).toEqual([
        'id',
        'name',
        'fleet',
        'system',
        'training',
        'grid',
        'lifetime_years',
        'deployed_at',
        'spec_json',
        'created_at',
        'updated_at',
      ]);
      expect(columns('energy_windows')).toEqual([
        'device_id',
        'seq',
        'start_ms',
        'duration_s',
        'energy_j',
        'sample_count',
        'min_power_w',
        'max_power_w',
        'inference_count',
        'source',
        'received_ms',
        'start_stamped_by',
        'seq_use',
        'instrument',
        'span',
        'commit_seq',
      ]);
      expect(columns('device_aggregates')).toEqual([
        'device_id',
        'energy_j',
        'observed_s',
        'windows',
        'samples',
        'inferences',
        'min_power_w',
        'max_power_w',
        'max_seq',
        'first_seen_ms',
        'last_seen_ms',
        'max_duration_s',
        'energy_sq_j2',
        'energy_duration_js',
        'duration_sq_s2',
        'inference_span_windows',
        'instruments',
        'instrumented_s',
      ]);
      // The foreign key holds once enforcement is on (SqliteStore turns it on for its connection).
      db.pragma('foreign_keys = ON');
      expect(() =>
        db
          .prepare(
            `INSERT INTO energy_windows (device_id, seq, start_ms, duration_s, energy_j, sample_count, inference_count, source, received_ms)
             VALUES ('ghost', 0, 0, 1, 1, 1, 0, 'http', 0)`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
      db.close();
    });

    it('are idempotent: reopening the same file keeps the data and the user_version', async () => {
      const first = SqliteStore.open(file);
      await first.createDevice(contractDevice('d1', { fleet: 'north' }));
      await first.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)]);
      await first.close();
      expect(peek(file, (db) => db.pragma('user_version', { simple: true }))).toBe(LATEST_SCHEMA_VERSION);

      for (let i = 0; i < 2; i += 1) {
        const again = SqliteStore.open(file);
        expect(await again.countDevices()).toBe(1);
        expect(await again.getAggregate('d1')).toMatchObject({ energyJ: 1, windows: 2 });
        await again.close();
      }
      expect(peek(file, (db) => db.pragma('user_version', { simple: true }))).toBe(LATEST_SCHEMA_VERSION);
    });

    it('migrations 2 to 4 keep version-1 data: HTTP starts become device-stamped, others receiver-stamped; longest window per device', async () => {
      const db = new Database(file);
      db.exec(MIGRATIONS[0]!.sql);
      db.pragma('user_version = 1');
      db.exec(`
        INSERT INTO devices VALUES ('d1', 'd1', NULL, 'kws-typical', 'none', 'epa', 5, NULL, '${JSON.stringify(contractDevice('d1').spec)}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
        INSERT INTO energy_windows VALUES ('d1', 0, 1000000, 10, 0.5, 100, 0.025, 0.125, 3, 'http', 0);
        INSERT INTO energy_windows VALUES ('d1', 1, 1010000, 30, 0.5, 100, 0.025, 0.125, 3, 'mqtt:mqtt://broker:1883', 0);
        INSERT INTO energy_windows VALUES ('d1', 2, 1040000, 10, 0.5, 100, 0.025, 0.125, 3, 'serial:/dev/ttyACM0', 0);
        INSERT INTO device_aggregates VALUES ('d1', 1.5, 50, 3, 300, 9, 0.025, 0.125, 2, 1000000, 1050000);
      `);
      db.close();
      const store = SqliteStore.open(file);
      expect((await store.listWindows('d1', 10)).map((w) => [w.seq, w.startStampedBy])).toEqual([
        [2, 'receiver'],
        [1, 'receiver'],
        [0, 'device'],
      ]);
      expect(peek(file, (raw) => raw.prepare('SELECT max_duration_s AS maxDurationS FROM device_aggregates').get())).toEqual({ maxDurationS: 30 });
      // Migration 4 fills the confidence sums from the stored windows (none names an instrument or is an inference span).
      expect(await store.getAggregate('d1')).toMatchObject({
        energySquaresJ2: 0.75,
        energyDurationJS: 0.5 * 10 + 0.5 * 30 + 0.5 * 10,
        durationSquaresS2: 100 + 900 + 100,
        inferenceSpanWindows: 0,
        instruments: [],
        instrumentedS: 0,
      });
      // The legacy HTTP window takes part in the overlap check; the others (start not the device's) do not.
      const result = await store.appendWindows([contractWindow('d1', 10, { startMs: 1_005_000 }), contractWindow('d1', 11, { startMs: 1_020_000 })]);
      expect(result).toMatchObject({ inserted: 1, overlaps: 1 });
      expect(result.refused.map((w) => w.seq)).toEqual([10]);
      // Legacy windows are recognised again, and their seqs can be re-used after the upgrade.
      expect(await store.appendWindows([contractWindow('d1', 0)])).toMatchObject({ inserted: 0, duplicates: 1 });
      expect(await store.appendWindows([contractWindow('d1', 0, { startMs: 2_000_000 })])).toMatchObject({ inserted: 1, seqResets: 1 });
      expect(peek(file, (raw) => raw.prepare('SELECT seq, seq_use AS seqUse FROM energy_windows WHERE seq = 0 ORDER BY seq_use').all())).toEqual([
        { seq: 0, seqUse: 0 },
        { seq: 0, seqUse: 1 },
      ]);
      await store.close();
    });

    it('migration 7 keys the windows by commit number and keeps version-6 data: windows, duplicates, seq uses, outbox order, cursors, dead letters', async () => {
      const db = new Database(file);
      for (const migration of MIGRATIONS.slice(0, 6)) db.exec(migration.sql);
      db.pragma('user_version = 6');
      // As version-6 software left it: commit numbers not in key order, a re-used seq, an inference span, a cursor and a
      // dead letter.
      db.exec(`
        INSERT INTO devices VALUES ('d1', 'd1', NULL, 'kws-typical', 'none', 'epa', 5, NULL, '${JSON.stringify(contractDevice('d1').spec)}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
        INSERT INTO devices VALUES ('d2', 'd2', NULL, 'kws-typical', 'none', 'epa', 5, NULL, '${JSON.stringify(contractDevice('d2').spec)}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
        INSERT INTO energy_windows (device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count, source,
            received_ms, start_stamped_by, seq_use, instrument, span, commit_seq) VALUES
          ('d2', 0, 1000000, 10, 0.5, 100, 0.025, 0.125, 3, 'http', 7, 'device', 0, NULL, 'time', 1),
          ('d1', 1, 1010000, 10, 0.5, 100, 0.025, 0.125, 3, 'http', 7, 'device', 0, 'ppk2', 'time', 2),
          ('d1', 0, 1000000, 10, 0.5, 100, 0.025, 0.125, 3, 'http', 7, 'device', 0, NULL, 'inferences', 3),
          ('d1', 0, 1100000, 10, 0.5, 100, 0.025, 0.125, 3, 'http', 8, 'device', 1, NULL, 'time', 4);
        INSERT INTO device_aggregates (device_id, energy_j, observed_s, windows, samples, inferences, max_seq, first_seen_ms, last_seen_ms, max_duration_s,
            inference_span_windows, instruments, instrumented_s) VALUES
          ('d1', 1.5, 30, 3, 300, 9, 1, 1000000, 1110000, 10, 1, 'ppk2', 10),
          ('d2', 0.5, 10, 1, 100, 3, 0, 1000000, 1010000, 10, 0, '', 0);
        INSERT INTO outbox_cursors VALUES ('influx:x', 2);
        INSERT INTO outbox_dead_letters VALUES ('influx:x', 3, 'retention', 'too old', 9);
      `);
      const windowsBefore = db.prepare('SELECT * FROM energy_windows ORDER BY commit_seq').all();
      db.close();

      const store = SqliteStore.open(file);
      expect(peek(file, (raw) => raw.pragma('user_version', { simple: true }))).toBe(LATEST_SCHEMA_VERSION);
      // commit_seq is the rowid; the identity is a unique index.
      expect(peek(file, (raw) => raw.prepare("SELECT name FROM pragma_table_info('energy_windows') WHERE pk > 0").all())).toEqual([{ name: 'commit_seq' }]);
      expect(peek(file, (raw) => raw.prepare('SELECT rowid AS r, commit_seq AS c FROM energy_windows ORDER BY rowid').all())).toEqual(
        [1, 2, 3, 4].map((n) => ({ r: n, c: n })),
      );
      expect(peek(file, (raw) => raw.prepare('SELECT * FROM energy_windows ORDER BY commit_seq').all())).toEqual(windowsBefore);

      // The outbox: the same entries in the same order, the cursor and the dead letter (joined to its window) kept.
      expect((await store.readOutbox(0, 10)).map((entry) => [entry.commitSeq, entry.window.deviceId, entry.window.seq, entry.window.seqUse])).toEqual([
        [1, 'd2', 0, 0],
        [2, 'd1', 1, 0],
        [3, 'd1', 0, 0],
        [4, 'd1', 0, 1],
      ]);
      expect((await store.readOutbox(2, 10)).map((entry) => entry.commitSeq)).toEqual([3, 4]);
      expect(await store.outboxCursor('influx:x')).toBe(2);
      const dead = await store.listDeadLetters('influx:x', 10);
      expect(dead.total).toBe(1);
      expect(dead.letters.map((letter) => [letter.commitSeq, letter.window.seq, letter.window.span])).toEqual([[3, 0, 'inferences']]);
      expect((await store.listInferenceSpans('d1', 10)).map((w) => w.seq)).toEqual([0]);
      expect((await store.listWindows('d1', 10)).map((w) => [w.seq, w.startMs])).toEqual([
        [0, 1_100_000],
        [1, 1_010_000],
        [0, 1_000_000],
      ]);

      // Redeliveries of the stored windows (both uses of seq 0, and d2's) are counted duplicates; nothing is added.
      const redelivered = await store.appendWindows([
        contractWindow('d1', 0, { startMs: 1_000_000, span: 'inferences' }),
        contractWindow('d1', 0, { startMs: 1_100_000 }),
        contractWindow('d1', 1, { instrument: 'ppk2' }),
        contractWindow('d2', 0),
      ]);
      expect(redelivered).toMatchObject({ inserted: 0, duplicates: 4, seqResets: 0, overlaps: 0 });
      expect(await store.getAggregate('d1')).toMatchObject({ windows: 3, energyJ: 1.5 });
      // A third use of seq 0 and a new window: numbered on from the head, after the migrated windows.
      expect(await store.appendWindows([contractWindow('d1', 0, { startMs: 1_200_000 }), contractWindow('d2', 1)])).toMatchObject({
        inserted: 2,
        seqResets: 1,
      });
      expect((await store.readOutbox(4, 10)).map((entry) => [entry.commitSeq, entry.window.deviceId, entry.window.seq, entry.window.seqUse])).toEqual([
        [5, 'd1', 0, 2],
        [6, 'd2', 1, 0],
      ]);
      expect(await store.outboxHead()).toBe(6);
      await store.close();
      // The identity stays unique in the schema itself, not only in the judge.
      const raw = new Database(file);
      expect(() =>
        raw
          .prepare(
            `INSERT INTO energy_windows (device_id, seq, start_ms, duration_s, energy_j, sample_count, inference_count, source, received_ms, seq_use, commit_seq)
             VALUES ('d1', 0, 5000000, 1, 1, 1, 0, 'http', 0, 2, 99)`,
          )
          .run(),
      ).toThrow(/UNIQUE constraint failed: energy_windows.device_id, energy_windows.seq, energy_windows.seq_use/);
      raw.close();
    });

    it("the duplicate check reads the identity index (device_id, seq), not the device's windows", () => {
      const db = new Database(':memory:');
      migrate(db);
      const plan = db
        .prepare<[], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT seq_use, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count, start_stamped_by
           FROM energy_windows WHERE device_id = 'd1' AND seq = 3`,
        )
        .all()
        .map((row) => row.detail);
      expect(plan).toEqual([expect.stringMatching(/SEARCH energy_windows USING INDEX energy_windows_identity \(device_id=\? AND seq=\?\)/)]);
      db.close();
    });

    it('the overlap check is an index range on (device_id, start_ms), not a scan of the device', () => {
      const db = new Database(':memory:');
      migrate(db);
      const plan = db
        .prepare<[], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT seq, start_ms, duration_s FROM energy_windows
           WHERE device_id = 'd1' AND start_ms > 0 AND start_ms < 10 AND start_stamped_by = 'device' ORDER BY start_ms`,
        )
        .all()
        .map((row) => row.detail);
      expect(plan).toEqual([
        expect.stringMatching(/SEARCH energy_windows USING INDEX energy_windows_device_start \(device_id=\? AND start_ms>\? AND start_ms<\?\)/),
      ]);
      db.close();
    });

    it('refuses a database written by a newer schema, without touching it', () => {
      const db = new Database(file);
      db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
      db.close();
      expect(() => SqliteStore.open(file)).toThrow(ConfigError);
      expect(peek(file, (raw) => raw.pragma('user_version', { simple: true }))).toBe(LATEST_SCHEMA_VERSION + 1);
      expect(peek(file, (raw) => raw.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get())).toEqual({
        n: 0,
      });
    });
  });

  it('puts a file database in WAL mode', async () => {
    const store = SqliteStore.open(file);
    await store.close();
    expect(peek(file, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  it('keeps devices, windows and aggregates across close and reopen', async () => {
    const store = SqliteStore.open(file);
    const device = await store.createDevice(contractDevice('d1', { fleet: 'north', deployedAt: '2024-05-01T00:00:00.000Z' }));
    await store.createDevice(contractDevice('d2'));
    const windows = [contractWindow('d1', 0), contractWindow('d1', 1, { minPowerW: null }), contractWindow('d1', 2)];
    await store.appendWindows(windows);
    const aggregate = await store.getAggregate('d1');
    await store.close();

    const reopened = SqliteStore.open(file);
    expect(await reopened.getDevice('d1')).toEqual(device);
    expect(await reopened.getAggregate('d1')).toEqual(aggregate);
    expect(await reopened.listWindows('d1', 10)).toEqual([...windows].reverse());
    expect(await reopened.appendWindows(windows)).toEqual({ inserted: 0, duplicates: 3, seqResets: 0, overlaps: 0, refused: [], insertedByDevice: {} });
    expect(await reopened.getAggregate('d1')).toEqual(aggregate);
    expect((await reopened.listDevices({ limit: 10, offset: 0 })).map((d) => d.id)).toEqual(['d1', 'd2']);
    await reopened.close();
  });

  it('stamps createdAt, updatedAt and received_ms with the injected clock', async () => {
    let now = Date.UTC(2025, 0, 1);
    const store = SqliteStore.open(file, { clock: () => now });
    const created = await store.createDevice(contractDevice('d1'));
    expect(created.createdAt).toBe('2025-01-01T00:00:00.000Z');
    expect(created.updatedAt).toBe('2025-01-01T00:00:00.000Z');
    now += 90_000;
    const updated = await store.updateDevice('d1', { name: 'Later' });
    expect(updated.createdAt).toBe('2025-01-01T00:00:00.000Z');
    expect(updated.updatedAt).toBe('2025-01-01T00:01:30.000Z');
    now += 1_000;
    await store.appendWindows([contractWindow('d1', 0)]);
    now += 1_000;
    await store.appendWindows([contractWindow('d1', 0), contractWindow('d1', 1)]); // seq 0 keeps its first received_ms
    await store.close();
    const rows = peek(file, (db) => db.prepare('SELECT seq, received_ms AS receivedMs FROM energy_windows ORDER BY seq').all());
    expect(rows).toEqual([
      { seq: 0, receivedMs: Date.UTC(2025, 0, 1) + 91_000 },
      { seq: 1, receivedMs: Date.UTC(2025, 0, 1) + 92_000 },
    ]);
  });

  it("stores the queryable spec columns, with 'custom' for a custom system", async () => {
    const store = SqliteStore.open(file);
    await store.createDevice(contractDevice('preset'));
    await store.createDevice(contractDevice('custom', { spec: { ...contractDevice('x').spec, system: { base: 'kws-typical' }, grid: 'FRA' } }));
    await store.updateDevice('preset', { spec: { lifetimeYears: 3, training: 'densenet' } });
    await store.close();
    const rows = peek(file, (db) => db.prepare('SELECT id, system, training, grid, lifetime_years AS lifetimeYears FROM devices ORDER BY id').all());
    expect(rows).toEqual([
      { id: 'custom', system: 'custom', training: 'none', grid: 'FRA', lifetimeYears: 5 },
      { id: 'preset', system: 'kws-typical', training: 'densenet', grid: 'epa', lifetimeYears: 3 },
    ]);
  });

  it('lists 10 000 devices with their aggregates in one page', async () => {
    const store = SqliteStore.open(':memory:');
    const count = 10_000;
    for (let i = 0; i < count; i += 1) {
      await store.createDevice(contractDevice(`dev-${String(i).padStart(5, '0')}`, { fleet: i % 2 === 0 ? 'even' : 'odd' }));
    }
    const windows: EnergyWindow[] = [];
    for (let i = 0; i < count; i += 3) windows.push(contractWindow(`dev-${String(i).padStart(5, '0')}`, 0, { energyJ: 2 }));
    expect(await store.appendWindows(windows)).toMatchObject({ inserted: windows.length, duplicates: 0 });

    const all = await store.listDevicesWithAggregates({ limit: count, offset: 0 });
    expect(all).toHaveLength(count);
    expect(all.filter((entry) => entry.aggregate !== undefined)).toHaveLength(Math.ceil(count / 3));
    expect(all[3]).toMatchObject({ device: { id: 'dev-00003', fleet: 'odd' }, aggregate: { energyJ: 2, windows: 1 } });
    expect(all[4]?.aggregate).toBeUndefined();
    const odd = await store.listDevicesWithAggregates({ limit: 2, offset: 1, fleet: 'odd' });
    expect(odd.map((entry) => [entry.device.id, entry.aggregate?.energyJ])).toEqual([
      ['dev-00003', 2],
      ['dev-00005', undefined],
    ]);
    await store.close();
  });

  it('rejects negative or fractional limits and offsets with a ValidationError', async () => {
    const store = SqliteStore.open(':memory:');
    await expect(store.listDevices({ limit: -1, offset: 0 })).rejects.toMatchObject({ code: 'validation' });
    await expect(store.listDevicesWithAggregates({ limit: 10, offset: -5 })).rejects.toMatchObject({ code: 'validation' });
    await expect(store.listWindows('d1', 1.5)).rejects.toMatchObject({ code: 'validation' });
    await store.close();
  });

  describe('concurrency', () => {
    const { DEVICES, batches, range, setUp, checkTotals } = concurrentWriters(() => file);

    it('two stores on the same file, interleaved, append overlapping windows exactly once', async () => {
      await setUp();
      const a = SqliteStore.open(file);
      const b = SqliteStore.open(file);
      const batchesA = batches(range(0, 300), 7);
      const batchesB = batches(range(100, 400).reverse(), 5);
      const results: AppendResult[] = [];
      const pending: Promise<AppendResult>[] = [];
      for (let i = 0; i < Math.max(batchesA.length, batchesB.length); i += 1) {
        const batchA = batchesA[i];
        const batchB = batchesB[i];
        if (batchA) pending.push(a.appendWindows(batchA));
        if (batchB) pending.push(b.appendWindows(batchB));
      }
      results.push(...(await Promise.all(pending)));
      await a.close();
      await b.close();
      const duplicates = results.reduce((n, r) => n + r.duplicates, 0);
      expect(duplicates).toBe(200 * DEVICES.length);
      await checkTotals(range(0, 400), results);
    });
  });
});

describe('defaultDataDir', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('uses TINYML_DATA_DIR when set', () => {
    vi.stubEnv('TINYML_DATA_DIR', '/srv/tinyml');
    expect(defaultDataDir()).toBe('/srv/tinyml');
  });

  it('defaults to ~/.tinyml-footprint, outside the repository', () => {
    vi.stubEnv('TINYML_DATA_DIR', undefined);
    expect(defaultDataDir()).toBe(path.join(os.homedir(), '.tinyml-footprint'));
  });
});
