/**
 * The composition functions every entry point builds with (`serve` through startService, `measure` directly): the
 * store file, the catalogue checked against the default spec, and the in-process pipeline into the store.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildCatalogue } from '../catalogue/load-catalogue.js';
import { ConfigError } from '../domain/errors.js';
import type { DeviceSpec } from '../domain/types.js';
import { IngestService } from '../ingest/ingest-service.js';
import { PresenceRegistry } from '../live/device-presence.js';
import { LiveBus } from '../live/live-bus.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { HealthRegistry } from '../obs/health-registry.js';
import type { Logger } from '../obs/logger.js';
import { assertSpecResolves } from '../service/device-footprint.js';
import { DATABASE_FILE } from '../store/data-dir.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';

/** The SQLite file of a data directory. */
export function storeFileIn(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE);
}

/** The SQLite store in this file, its directory created when missing. */
export function openStoreFile(file: string): SqliteStore {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return SqliteStore.open(file);
}

/** One thing to say of the store file's migration at open: its level, its message and its fields. */
export interface SchemaMigrationNote {
  level: 'info' | 'warn';
  message: string;
  fields: Record<string, number>;
}

/** A migration of the store file at open: said once; rows it found without their parent row (kept) are a warning. */
export function schemaMigrationNotes(store: SqliteStore): SchemaMigrationNote[] {
  const { from, to, foreignKeyViolations } = store.schemaMigration;
  if (from === to) return [];
  const notes: SchemaMigrationNote[] = [{ level: 'info', message: 'store schema migrated', fields: { from, to } }];
  if (foreignKeyViolations > 0)
    notes.push({
      level: 'warn',
      message: 'store rows without their parent row (e.g. windows of a device deleted outside the service), kept as they were',
      fields: { rows: foreignKeyViolations },
    });
  return notes;
}

/** `serve`'s log lines of the migration at start (see schemaMigrationNotes). */
export function logSchemaMigration(log: Logger, store: SqliteStore): void {
  for (const note of schemaMigrationNotes(store)) log[note.level](note.message, note.fields);
}

/** The schema version of a file no software wrote yet: its first open creates the schema, no migration to say on a CLI. */
const NEW_FILE_SCHEMA_VERSION = 0;

/**
 * The CLI's plain-text lines of the same migration, for stderr: `note: …` and `warning: …`, each with its fields.
 * Nothing for a new file (a command's first open creates it; its output stays its own).
 */
export function schemaMigrationText(store: SqliteStore): string {
  if (store.schemaMigration.from === NEW_FILE_SCHEMA_VERSION) return '';
  return schemaMigrationNotes(store)
    .map((note) => {
      const fields = Object.entries(note.fields)
        .map(([name, value]) => `${name} ${value}`)
        .join(', ');
      return `${note.level === 'warn' ? 'warning' : 'note'}: ${note.message} (${fields})\n`;
    })
    .join('');
}

/** The store file opened by a CLI command: a migration it ran is said on stderr, once (the next open has none). */
export function openStoreFileForCli(file: string): SqliteStore {
  const store = openStoreFile(file);
  process.stderr.write(schemaMigrationText(store));
  return store;
}

/** The catalogue, checked against the spec announced devices get: it must resolve, or their footprints would all fail. */
export function catalogueFor(defaults: DeviceSpec): Catalogue {
  const catalogue = buildCatalogue();
  try {
    assertSpecResolves(catalogue, defaults);
  } catch (error) {
    throw new ConfigError(`the default device spec does not resolve (--system / --grid): ${error instanceof Error ? error.message : String(error)}`);
  }
  return catalogue;
}

/** What readers deliver into: the one sink into the store, the live bus it publishes on, health and presence. */
export interface Pipeline {
  bus: LiveBus;
  health: HealthRegistry;
  presence: PresenceRegistry;
  ingest: IngestService;
}

export function createPipeline(store: Store, defaults: DeviceSpec, clock: () => number = Date.now): Pipeline {
  const bus = new LiveBus();
  const presence = new PresenceRegistry(clock);
  // A device going offline (its last will) reaches open dashboards at once, like a new window does.
  presence.onChange((deviceId) => bus.publish({ type: 'device', deviceId }));
  return { bus, health: new HealthRegistry(), presence, ingest: new IngestService(store, bus, defaults, clock) };
}
