/**
 * Two service processes on one MQTT 5 shared subscription ($share/<group>/…) split one fleet: each stores a part,
 * and the two parts together equal what one instance would store (every window once, exact per-device sums).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../../src/store/data-dir.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { addTotals, expectFleetStored, totalsOf, type PublishedFleet } from '../../helpers/fleet-totals.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto } from './mosquitto.js';
import { countStoredWindows, startServe, startSimulator, type ServeProcess } from './processes.js';

const FLEET: PublishedFleet = { devices: 20, count: 200, firstSeq: 0, windowMs: 10_000, devicePrefix: 'shared' };
const TOTAL_WINDOWS = FLEET.devices * FLEET.count;

describe('two instances on one shared subscription', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('split the fleet; both stores together hold every window exactly once', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const dirs = [0, 1].map((n) => mkdtempSync(path.join(os.tmpdir(), `tinyml-shared-${n}-`)));
    cleanups.push(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
    const services: ServeProcess[] = [];
    for (const dir of dirs) {
      const service = await startServe(dir, ['--mqtt-url', broker.url, '--mqtt-share', 'footprint']);
      services.push(service);
      cleanups.push(async () => void (await service.kill('SIGKILL')));
    }
    for (const service of services) {
      await waitFor('reader connected', async () =>
        (await (await fetch(`${service.httpUrl}/api/health`)).json()).sources.some(
          (s: { kind: string; state: string }) => s.kind === 'mqtt' && s.state === 'connected',
        ),
      );
      await waitFor('subscribed', () => /session new/.test(service.output()));
    }

    const simulator = startSimulator([
      '--url',
      broker.url,
      '--devices',
      String(FLEET.devices),
      '--count',
      String(FLEET.count),
      '--interval',
      '0',
      '--window',
      `${FLEET.windowMs}ms`,
      '--device-prefix',
      FLEET.devicePrefix,
    ]);
    cleanups.push(() => void simulator.child.kill('SIGKILL'));
    expect(await simulator.result).toMatchObject({ published: TOTAL_WINDOWS, acked: TOTAL_WINDOWS, unacked: 0 });
    await waitFor('all windows stored', () => countStoredWindows(dirs[0]!) + countStoredWindows(dirs[1]!) === TOTAL_WINDOWS, { timeoutMs: 60_000 });
    for (const service of services) expect(await service.kill('SIGTERM')).toBe('0');

    const parts = dirs.map(countStoredWindows);
    expect(parts[0]! + parts[1]!).toBe(TOTAL_WINDOWS);
    expect(parts[0]).toBeGreaterThan(0);
    expect(parts[1]).toBeGreaterThan(0);
    const stores = dirs.map((dir) => SqliteStore.open(path.join(dir, DATABASE_FILE)));
    try {
      await expectFleetStored(FLEET, async (deviceId) =>
        addTotals(totalsOf(await stores[0]!.getAggregate(deviceId)), totalsOf(await stores[1]!.getAggregate(deviceId))),
      );
    } finally {
      for (const store of stores) await store.close();
    }
  }, 120_000);
});
