/**
 * Real processes: Mosquitto is restarted mid-stream (graceful stop, persistence on) while the simulator publishes;
 * the service's reader reconnects by itself with backoff and nothing is lost or double-counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../../src/store/data-dir.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { expectFleetStored, totalsOf, type PublishedFleet } from '../../helpers/fleet-totals.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto } from './mosquitto.js';
import { countStoredWindows, startServe, startSimulator, storedWindowsOrZero } from './processes.js';

const FLEET: PublishedFleet = { devices: 20, count: 400, firstSeq: 0, windowMs: 10_000, devicePrefix: 'restart' };
const TOTAL_WINDOWS = FLEET.devices * FLEET.count;
const RATE_LIMIT_PER_S = 2_000;
const RESTART_AFTER_WINDOWS = 2_000;

interface SourceJson {
  kind: string;
  state: string;
  counters: Record<string, number>;
}

describe('Mosquitto restarted mid-stream', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('the reader reconnects by itself and every window is stored exactly once', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const service = await startServe(dataDir, ['--mqtt-url', broker.url]);
    cleanups.push(async () => void (await service.kill('SIGKILL')));
    const readerSource = async (): Promise<SourceJson | undefined> =>
      ((await (await fetch(`${service.httpUrl}/api/health`)).json()).sources as SourceJson[]).find((source) => source.kind === 'mqtt');
    await waitFor('reader connected', async () => (await readerSource())?.state === 'connected');

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
      '--rate-limit',
      String(RATE_LIMIT_PER_S),
    ]);
    cleanups.push(() => void simulator.child.kill('SIGKILL'));
    await waitFor('windows before the restart', () => storedWindowsOrZero(dataDir) >= RESTART_AFTER_WINDOWS, { timeoutMs: 60_000 });
    await broker.stop();
    await waitFor('reader to notice', async () => (await readerSource())?.state !== 'connected');
    await broker.start();

    const published = await simulator.result;
    expect(published).toMatchObject({ published: TOTAL_WINDOWS, acked: TOTAL_WINDOWS, unacked: 0 });
    expect(published.reconnects).toBeGreaterThanOrEqual(FLEET.devices);
    await waitFor('all windows stored', () => countStoredWindows(dataDir) === TOTAL_WINDOWS, { timeoutMs: 60_000 });
    const reader = await readerSource();
    expect(reader?.state).toBe('connected');
    expect(reader?.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(reader?.counters.connects).toBeGreaterThanOrEqual(2);
    expect(await service.kill('SIGTERM')).toBe('0');

    const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
    try {
      await expectFleetStored(FLEET, async (deviceId) => totalsOf(await store.getAggregate(deviceId)));
    } finally {
      await store.close();
    }
  }, 120_000);
});
