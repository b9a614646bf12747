/** Which store a service gets: the single-machine SQLite store unless the store block selects InfluxDB. */
import { afterEach, describe, expect, it } from 'vitest';
import { FLEET_SYNC_INTERVAL_MS } from '../../src/service/fleet-index.js';
import { instanceIdOf, sharedFleetFor } from '../../src/server/shared-fleet.js';
import { SharedStore } from '../../src/store/shared-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function local(): SqliteStore {
  const store = SqliteStore.open(':memory:');
  stores.push(store);
  return store;
}

describe('sharedFleetFor', () => {
  it('stays single-machine without a store block or with --store sqlite (npm start unchanged)', () => {
    expect(sharedFleetFor({ dataDir: '/tmp/x' }, local())).toBeUndefined();
    expect(sharedFleetFor({ dataDir: '/tmp/x', store: { kind: 'sqlite' } } as { dataDir: string }, local())).toBeUndefined();
  });

  it('with --store influx: a SharedStore over the local store, synced every FLEET_SYNC_INTERVAL_MS', () => {
    const config = { dataDir: '/tmp/x', store: { kind: 'influx', url: 'http://127.0.0.1:1', database: 'db', username: undefined, password: undefined } };
    const shared = sharedFleetFor(config, local());
    expect(shared?.store).toBeInstanceOf(SharedStore);
    expect(shared?.fleetSyncIntervalMs).toBe(FLEET_SYNC_INTERVAL_MS);
    expect(shared?.store.instanceId).toBe(instanceIdOf('/tmp/x'));
  });

  it('instance ids differ by data directory and are stable', () => {
    expect(instanceIdOf('/data/a')).toBe(instanceIdOf('/data/a'));
    expect(instanceIdOf('/data/a')).not.toBe(instanceIdOf('/data/b'));
  });
});
