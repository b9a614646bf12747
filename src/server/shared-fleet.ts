/**
 * Several instances, one fleet truth (docs/fleet-truth.md): with `--store influx` the service's store is a SharedStore
 * (aggregates from InfluxDB, the registry shared through it) and the fleet index syncs from it every
 * FLEET_SYNC_INTERVAL_MS. The store layer's config block (src/server/layers/store-config.ts) says which store; this
 * reads it structurally, so that a service composed without that layer (tests, older configs) stays single-machine.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { FLEET_SYNC_INTERVAL_MS, type FleetSyncChanges } from '../service/fleet-index.js';
import { InfluxRegistry } from '../store/influx/influx-registry.js';
import { InfluxWindowStore } from '../store/influx/influx-window-store.js';
import { SharedStore } from '../store/shared-store.js';
import type { StoreLayerConfig } from './layers/store-config.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';

type InfluxStoreConfig = Extract<StoreLayerConfig, { kind: 'influx' }>;

export interface SharedFleet {
  store: SharedStore;
  fleetSyncIntervalMs: number;
  beforeFleetSync: () => Promise<unknown>;
  /** The store's incremental pass: the fleet index re-reads only the devices it names. */
  fleetSyncChanges: () => Promise<FleetSyncChanges>;
}

/** This instance's id in the registry's conflict rule: host name and data directory (stable across restarts). */
export function instanceIdOf(dataDir: string): string {
  return `${os.hostname()}:${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

function influxConfigOf(config: object): InfluxStoreConfig | undefined {
  const store = (config as { store?: unknown }).store;
  if (typeof store !== 'object' || store === null || (store as { kind?: unknown }).kind !== 'influx') return undefined;
  return store as InfluxStoreConfig;
}

/** The shared store and fleet sync when the config selects InfluxDB; undefined for the single-machine default. */
export function sharedFleetFor(config: { dataDir: string }, local: SqliteStore): SharedFleet | undefined {
  const influx = influxConfigOf(config);
  if (influx === undefined) return undefined;
  const connection = {
    url: influx.url,
    database: influx.database,
    ...(influx.username === undefined ? {} : { username: influx.username }),
    ...(influx.password === undefined ? {} : { password: influx.password }),
  };
  const store = new SharedStore(
    local,
    new InfluxWindowStore(connection),
    new InfluxRegistry({ ...connection, ...(influx.retention === undefined ? {} : { retention: influx.retention }) }),
    instanceIdOf(config.dataDir),
  );
  return { store, fleetSyncIntervalMs: FLEET_SYNC_INTERVAL_MS, beforeFleetSync: () => store.syncRegistry(), fleetSyncChanges: () => store.syncFleet() };
}
