import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { contractDevice } from '../store/store-contract.js';

/** The columns of an energy_windows row as version 6 has them, but for commit_seq. */
export const WINDOW_COLUMNS = 'device_id, seq, start_ms, duration_s, energy_j, sample_count, inference_count, source, received_ms, start_stamped_by';

/** A version-6 file as that software left it, with device d1 and `sql` run on it (foreign keys off, as in the sqlite3 CLI). */
export function versionSixFile(file: string, sql: string): void {
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  for (const migration of MIGRATIONS.slice(0, 6)) db.exec(migration.sql);
  db.pragma('user_version = 6');
  const spec = JSON.stringify(contractDevice('d1').spec);
  db.exec(
    `INSERT INTO devices VALUES ('d1', 'd1', NULL, 'kws-typical', 'none', 'epa', 5, NULL, '${spec}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');`,
  );
  db.exec(sql);
  db.close();
}
