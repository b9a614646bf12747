/**
 * Per-device MQTT credentials of the embedded broker: one row per device with an scrypt hash, never the password.
 * Kept in its own SQLite file in the data directory (`mqtt-credentials.sqlite`), separate from the telemetry store:
 * it is the broker's concern, works whatever telemetry store is configured, and the CLI can issue credentials
 * while the service runs (WAL lets the two processes share the file).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreClosedError } from '../domain/errors.js';

export const CREDENTIALS_FILE = 'mqtt-credentials.sqlite';
/** Milliseconds to wait for the other process's write lock (CLI vs service). */
export const CREDENTIALS_BUSY_TIMEOUT_MS = 5_000;

export interface DeviceCredential {
  deviceId: string;
  /** When set, the device may publish only under this fleet. */
  fleet: string | null;
  passwordHash: string;
  createdAt: string;
}

export interface CredentialStore {
  put(credential: DeviceCredential): Promise<void>;
  get(deviceId: string): Promise<DeviceCredential | undefined>;
  /** True when a credential was removed. */
  delete(deviceId: string): Promise<boolean>;
  count(): Promise<number>;
  close(): Promise<void>;
}

interface Row {
  device_id: string;
  fleet: string | null;
  password_hash: string;
  created_at: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS mqtt_credentials (
    device_id     TEXT PRIMARY KEY NOT NULL,
    fleet         TEXT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
  );
`;

export class SqliteCredentialStore implements CredentialStore {
  private closed = false;
  private readonly upsert;
  private readonly select;
  private readonly remove;
  private readonly counter;

  private constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare<[Row]>(
      `INSERT INTO mqtt_credentials (device_id, fleet, password_hash, created_at)
       VALUES (@device_id, @fleet, @password_hash, @created_at)
       ON CONFLICT (device_id) DO UPDATE SET fleet = excluded.fleet, password_hash = excluded.password_hash, created_at = excluded.created_at`,
    );
    this.select = db.prepare<[string], Row>('SELECT device_id, fleet, password_hash, created_at FROM mqtt_credentials WHERE device_id = ?');
    this.remove = db.prepare<[string]>('DELETE FROM mqtt_credentials WHERE device_id = ?');
    this.counter = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mqtt_credentials');
  }

  static open(file: string | ':memory:'): SqliteCredentialStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${CREDENTIALS_BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL'); // an issued password must survive a crash
      db.exec(SCHEMA);
      return new SqliteCredentialStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  static openInDataDir(dataDir: string): SqliteCredentialStore {
    return SqliteCredentialStore.open(path.join(dataDir, CREDENTIALS_FILE));
  }

  async put(credential: DeviceCredential): Promise<void> {
    this.assertOpen();
    this.upsert.run({
      device_id: credential.deviceId,
      fleet: credential.fleet,
      password_hash: credential.passwordHash,
      created_at: credential.createdAt,
    });
  }

  async get(deviceId: string): Promise<DeviceCredential | undefined> {
    this.assertOpen();
    const row = this.select.get(deviceId);
    return row === undefined ? undefined : { deviceId: row.device_id, fleet: row.fleet, passwordHash: row.password_hash, createdAt: row.created_at };
  }

  async delete(deviceId: string): Promise<boolean> {
    this.assertOpen();
    return this.remove.run(deviceId).changes > 0;
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.counter.get()?.n ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
