/**
 * SQLite schema migrations, applied in order by `PRAGMA user_version`.
 * Migration N (1-based) brings the database to user_version N. Never edit a released migration: append a new one.
 */
import type Database from 'better-sqlite3';
import { ConfigError } from '../../domain/errors.js';

export interface Migration {
  /** The user_version the database has once this migration is applied. */
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'devices, energy windows, per-device aggregates',
    sql: `
      CREATE TABLE devices (
        id             TEXT PRIMARY KEY NOT NULL,
        name           TEXT NOT NULL,
        fleet          TEXT NULL,
        system         TEXT NOT NULL,   -- system preset id, or 'custom' for a custom bill of materials
        training       TEXT NOT NULL,
        grid           TEXT NOT NULL,
        lifetime_years REAL NOT NULL,
        deployed_at    TEXT NULL,
        spec_json      TEXT NOT NULL,   -- the full DeviceSpec; the columns above are a queryable copy
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
      );
      CREATE INDEX devices_fleet_id ON devices (fleet, id);

      CREATE TABLE energy_windows (
        device_id       TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        start_ms        INTEGER NOT NULL,
        duration_s      REAL NOT NULL,
        energy_j        REAL NOT NULL,
        sample_count    INTEGER NOT NULL,
        min_power_w     REAL NULL,
        max_power_w     REAL NULL,
        inference_count INTEGER NOT NULL,
        source          TEXT NOT NULL,
        received_ms     INTEGER NOT NULL,
        PRIMARY KEY (device_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE device_aggregates (
        device_id     TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        energy_j      REAL NOT NULL,
        observed_s    REAL NOT NULL,
        windows       INTEGER NOT NULL,
        samples       INTEGER NOT NULL,
        inferences    INTEGER NOT NULL,
        min_power_w   REAL NULL,
        max_power_w   REAL NULL,
        max_seq       INTEGER NULL,
        first_seen_ms INTEGER NULL,
        last_seen_ms  INTEGER NULL
      );
    `,
  },
  {
    version: 2,
    description: 'who stamped each window start; (device_id, start_ms) index for the overlap check; longest window per device',
    sql: `
      -- Only HTTP windows always carried the device's own start; MQTT windows may have lacked start_ms and serial
      -- windows never had one. 'receiver' is the safe guess: such a start takes no part in identity or overlap.
      ALTER TABLE energy_windows ADD COLUMN start_stamped_by TEXT NOT NULL DEFAULT 'receiver'
        CHECK (start_stamped_by IN ('device', 'receiver'));
      UPDATE energy_windows SET start_stamped_by = 'device' WHERE source = 'http';
      CREATE INDEX energy_windows_device_start ON energy_windows (device_id, start_ms);

      -- Bounds the overlap check's index range: a window overlapping [start, end) starts after start - max_duration_s.
      ALTER TABLE device_aggregates ADD COLUMN max_duration_s REAL NULL;
      UPDATE device_aggregates SET max_duration_s =
        (SELECT max(w.duration_s) FROM energy_windows w WHERE w.device_id = device_aggregates.device_id);
    `,
  },
  {
    version: 3,
    description: 'a seq may be re-used by a different window (a device restarting seq after a reboot): key (device_id, seq, seq_use)',
    sql: `
      CREATE TABLE energy_windows_v3 (
        device_id        TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        seq              INTEGER NOT NULL,
        start_ms         INTEGER NOT NULL,
        duration_s       REAL NOT NULL,
        energy_j         REAL NOT NULL,
        sample_count     INTEGER NOT NULL,
        min_power_w      REAL NULL,
        max_power_w      REAL NULL,
        inference_count  INTEGER NOT NULL,
        source           TEXT NOT NULL,
        received_ms      INTEGER NOT NULL,
        start_stamped_by TEXT NOT NULL DEFAULT 'receiver' CHECK (start_stamped_by IN ('device', 'receiver')),
        seq_use          INTEGER NOT NULL DEFAULT 0,  -- 0: the first window stored under (device_id, seq); n: its n-th re-use
        PRIMARY KEY (device_id, seq, seq_use)
      ) WITHOUT ROWID;
      INSERT INTO energy_windows_v3
        SELECT device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w, inference_count,
          source, received_ms, start_stamped_by, 0
        FROM energy_windows;
      DROP TABLE energy_windows;
      ALTER TABLE energy_windows_v3 RENAME TO energy_windows;
      CREATE INDEX energy_windows_device_start ON energy_windows (device_id, start_ms);
    `,
  },
  {
    version: 4,
    description: 'instrument and span of each window; aggregate sums for the confidence interval, inference spans, instruments',
    sql: `
      ALTER TABLE energy_windows ADD COLUMN instrument TEXT NULL;
      ALTER TABLE energy_windows ADD COLUMN span TEXT NOT NULL DEFAULT 'time' CHECK (span IN ('time', 'inferences'));
      -- The median energy per inference reads a device's inference spans, most recent first, without a scan.
      CREATE INDEX energy_windows_inference_spans ON energy_windows (device_id, start_ms) WHERE span = 'inferences';

      ALTER TABLE device_aggregates ADD COLUMN energy_sq_j2 REAL NOT NULL DEFAULT 0;
      ALTER TABLE device_aggregates ADD COLUMN energy_duration_js REAL NOT NULL DEFAULT 0;
      ALTER TABLE device_aggregates ADD COLUMN duration_sq_s2 REAL NOT NULL DEFAULT 0;
      ALTER TABLE device_aggregates ADD COLUMN inference_span_windows INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE device_aggregates ADD COLUMN instruments TEXT NOT NULL DEFAULT '';  -- comma-separated, INSTRUMENT_IDS order
      ALTER TABLE device_aggregates ADD COLUMN instrumented_s REAL NOT NULL DEFAULT 0;
      -- Windows stored before this version carry no instrument and are time spans; their sums are exact.
      UPDATE device_aggregates SET
        energy_sq_j2 = coalesce((SELECT sum(w.energy_j * w.energy_j) FROM energy_windows w WHERE w.device_id = device_aggregates.device_id), 0),
        energy_duration_js = coalesce((SELECT sum(w.energy_j * w.duration_s) FROM energy_windows w WHERE w.device_id = device_aggregates.device_id), 0),
        duration_sq_s2 = coalesce((SELECT sum(w.duration_s * w.duration_s) FROM energy_windows w WHERE w.device_id = device_aggregates.device_id), 0);
    `,
  },
  {
    version: 5,
    description: 'commit order of the windows (the outbox a networked window store is fed from) and the cursors of its writers',
    sql: `
      -- n: the n-th window committed to this file. The outbox writer copies windows to InfluxDB in this order and
      -- keeps, per target, the last commit number written (outbox_cursors), so a restart resumes where it was.
      ALTER TABLE energy_windows ADD COLUMN commit_seq INTEGER NULL;
      -- Windows stored before this version: numbered in start order (one copy in order of time is all a target needs).
      UPDATE energy_windows SET commit_seq = numbered.n
        FROM (SELECT device_id, seq, seq_use, row_number() OVER (ORDER BY start_ms, device_id, seq, seq_use) AS n FROM energy_windows) AS numbered
        WHERE energy_windows.device_id = numbered.device_id AND energy_windows.seq = numbered.seq AND energy_windows.seq_use = numbered.seq_use;
      CREATE UNIQUE INDEX energy_windows_commit_seq ON energy_windows (commit_seq);
      CREATE TABLE outbox_cursors (
        target     TEXT PRIMARY KEY NOT NULL,  -- e.g. 'influx:http://db:8086/tinyml_footprint'
        commit_seq INTEGER NOT NULL             -- the last window written to the target
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    description: 'dead letters of the outbox: windows a target refused for good, with the reason, so its writer goes on',
    sql: `
      -- The window itself stays in energy_windows (the local store holds it); this names it and why it was refused.
      CREATE TABLE outbox_dead_letters (
        target     TEXT NOT NULL,     -- the outbox cursor's target name
        commit_seq INTEGER NOT NULL,  -- the refused window (energy_windows.commit_seq)
        reason     TEXT NOT NULL,     -- a closed list (store/outbox/refusals.ts)
        detail     TEXT NOT NULL,     -- the target's own words
        refused_ms INTEGER NOT NULL,
        PRIMARY KEY (target, commit_seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    description: 'energy_windows keyed by its commit number (a rowid table): an insert appends, the identity becomes a unique index',
    sql: `
      -- Until now the rows lived in a WITHOUT ROWID b-tree keyed by (device_id, seq, seq_use): each insert of a fleet's
      -- interleaved windows landed the whole row on a page of its own device, and the commit number was a fourth
      -- b-tree (a unique index). Keyed by the commit number (commit_seq is the rowid: strictly increasing, so every
      -- insert appends to the last page), the identity is a narrow unique index, which the duplicate check reads as
      -- before. The start indexes name seq and seq_use, which the WITHOUT ROWID key gave them implicitly: the window
      -- lists' order (start_ms, seq, seq_use) stays an index walk. commit_seq has been nullable since version 5: a
      -- version-4 process still writing to a file another process had migrated left rows without a number, which the
      -- outbox never read (commit_seq > cursor). The numbered rows keep theirs; the others get numbers after the head
      -- (a NULL into the rowid takes max(rowid) + 1), in start order, so the outbox delivers them once, after the head.
      CREATE TABLE energy_windows_v7 (
        device_id        TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        seq              INTEGER NOT NULL,
        start_ms         INTEGER NOT NULL,
        duration_s       REAL NOT NULL,
        energy_j         REAL NOT NULL,
        sample_count     INTEGER NOT NULL,
        min_power_w      REAL NULL,
        max_power_w      REAL NULL,
        inference_count  INTEGER NOT NULL,
        source           TEXT NOT NULL,
        received_ms      INTEGER NOT NULL,
        start_stamped_by TEXT NOT NULL DEFAULT 'receiver' CHECK (start_stamped_by IN ('device', 'receiver')),
        seq_use          INTEGER NOT NULL DEFAULT 0,
        instrument       TEXT NULL,
        span             TEXT NOT NULL DEFAULT 'time' CHECK (span IN ('time', 'inferences')),
        commit_seq       INTEGER PRIMARY KEY NOT NULL  -- the rowid: the n-th window committed to this file
      );
      INSERT INTO energy_windows_v7 (device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w,
          inference_count, source, received_ms, start_stamped_by, seq_use, instrument, span, commit_seq)
        SELECT device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w,
          inference_count, source, received_ms, start_stamped_by, seq_use, instrument, span, commit_seq
        FROM energy_windows WHERE commit_seq IS NOT NULL ORDER BY commit_seq;
      INSERT INTO energy_windows_v7 (device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w,
          inference_count, source, received_ms, start_stamped_by, seq_use, instrument, span)
        SELECT device_id, seq, start_ms, duration_s, energy_j, sample_count, min_power_w, max_power_w,
          inference_count, source, received_ms, start_stamped_by, seq_use, instrument, span
        FROM energy_windows WHERE commit_seq IS NULL ORDER BY start_ms, device_id, seq, seq_use;
      DROP TABLE energy_windows;
      ALTER TABLE energy_windows_v7 RENAME TO energy_windows;
      CREATE UNIQUE INDEX energy_windows_identity ON energy_windows (device_id, seq, seq_use);
      CREATE INDEX energy_windows_device_start ON energy_windows (device_id, start_ms, seq, seq_use);
      CREATE INDEX energy_windows_inference_spans ON energy_windows (device_id, start_ms, seq, seq_use) WHERE span = 'inferences';
    `,
  },
];

/** The user_version of a fully migrated database. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export interface MigrationOutcome {
  from: number;
  to: number;
  /**
   * Rows whose parent row is missing (PRAGMA foreign_key_check after the migrations applied; 0 when none applied),
   * e.g. the windows of a device deleted with the sqlite3 CLI, whose foreign_keys is off. They are kept as they were.
   */
  foreignKeyViolations: number;
}

/**
 * Milliseconds a migration waits for the write lock (SQLite's busy_timeout while migrate() runs; the store's own
 * SQLITE_BUSY_TIMEOUT_MS is 5 s). Another process may hold it for a whole migration: rebuilding energy_windows took
 * 10 s at 2.2 M windows (docs/capacity.md), so 5 minutes lets a second process wait for a rebuild of some 60 M windows
 * instead of failing with `database is locked`, then find the file migrated.
 */
export const MIGRATION_BUSY_TIMEOUT_MS = 300_000;

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring `db` to LATEST_SCHEMA_VERSION. Each migration runs in its own IMMEDIATE transaction and re-reads
 * user_version inside it, so two processes opening the same new file at once apply each migration exactly once: the
 * second waits for the lock (MIGRATION_BUSY_TIMEOUT_MS), then finds the migration applied.
 * Foreign key enforcement is off while they run and restored after (the table rebuild procedure of
 * https://www.sqlite.org/lang_altertable.html section 7: the pragma cannot change inside a transaction), so a
 * rebuild copies a row whose parent is gone instead of failing; such rows are counted, not dropped.
 * Throws ConfigError when the file was written by a newer version of the software.
 */
export function migrate(db: Database.Database): MigrationOutcome {
  MIGRATIONS.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration at index ${index} has version ${migration.version}, expected ${index + 1}`);
    }
  });
  const from = userVersion(db);
  if (from > LATEST_SCHEMA_VERSION) {
    throw new ConfigError(`database schema version ${from} is newer than this software supports (${LATEST_SCHEMA_VERSION}); upgrade tinyml-footprint`);
  }
  // Read without the write lock (a WAL reader is not blocked by a writer): a file at the latest version, the usual
  // open, does not wait for another process's transaction, a migration included.
  if (from === LATEST_SCHEMA_VERSION) return { from, to: from, foreignKeyViolations: 0 };
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  const busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  db.pragma(`busy_timeout = ${MIGRATION_BUSY_TIMEOUT_MS}`);
  try {
    for (const migration of MIGRATIONS) {
      const apply = db.transaction(() => {
        if (userVersion(db) >= migration.version) return;
        db.exec(migration.sql);
        // user_version lives in the database header, so this write commits or rolls back with the migration.
        db.pragma(`user_version = ${migration.version}`);
      });
      apply.immediate();
    }
    const to = userVersion(db);
    const foreignKeyViolations = to === from ? 0 : db.prepare<[], { n: number }>('SELECT count(*) AS n FROM pragma_foreign_key_check').get()!.n;
    return { from, to, foreignKeyViolations };
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys === 1 ? 'ON' : 'OFF'}`);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}
