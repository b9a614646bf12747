/**
 * Real processes: Mosquitto, `serve` and `simulate fleet`. The service is SIGKILLed mid-stream while 20 000 QoS 1
 * windows are being published, then restarted on the same data directory (same client id, so the same persistent
 * session): every window is stored exactly once and every device's aggregate equals the sums of what was published.
 * The embedded-broker variant kills the broker together with the service: the simulator re-sends its unacked windows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../../src/store/data-dir.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { expectFleetStored, totalsOf, type PublishedFleet } from '../../helpers/fleet-totals.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto, type TestMosquitto } from './mosquitto.js';
import { countStoredWindows, startServe, startSimulator, storedWindowsOrZero, type ServeProcess, type SimulatorProcess } from './processes.js';
import { runCli } from '../../helpers/cli.js';

/** 40 devices × 500 windows: the 20 000-window floor of the issue. */
const FLEET: PublishedFleet = { devices: 40, count: 500, firstSeq: 0, windowMs: 10_000, devicePrefix: 'kill' };
const TOTAL_WINDOWS = FLEET.devices * FLEET.count;
/** Windows/s over the fleet: slow enough that the kill lands mid-stream, fast enough for a short test. */
const RATE_LIMIT_PER_S = 4_000;
/** Stored windows before the kill. */
const KILL_AFTER_WINDOWS = 5_000;
const TEST_TIMEOUT_MS = 120_000;

const simulatorArgs = (url: string, extra: readonly string[] = []): string[] => [
  '--url',
  url,
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
  '--fleet',
  'lab',
  '--rate-limit',
  String(RATE_LIMIT_PER_S),
  ...extra,
];

async function verifyStore(dataDir: string): Promise<void> {
  const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
  try {
    await expectFleetStored(FLEET, async (deviceId) => totalsOf(await store.getAggregate(deviceId)));
  } finally {
    await store.close();
  }
}

describe('SIGKILL of the service mid-stream', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it(
    'external Mosquitto: 20 000 windows stored exactly once across a SIGKILL and restart',
    async () => {
      const broker: TestMosquitto = await startMosquitto();
      cleanups.push(() => broker.close());
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-kill-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const serveArgs = ['--mqtt-url', broker.url, '--mqtt-client-id', 'kill-test-reader'];

      let service: ServeProcess = await startServe(dataDir, serveArgs);
      cleanups.push(async () => void (await service.kill('SIGKILL')));
      // The reader must hold its persistent subscription before the first window is published.
      await waitFor('reader connected', async () =>
        (await (await fetch(`${service.httpUrl}/api/health`)).json()).sources.some(
          (s: { kind: string; state: string }) => s.kind === 'mqtt' && s.state === 'connected',
        ),
      );
      await waitFor('subscribed', () => /session new/.test(service.output()) && service.output());

      const simulator: SimulatorProcess = startSimulator(simulatorArgs(broker.url));
      cleanups.push(() => void simulator.child.kill('SIGKILL'));
      await waitFor(`${KILL_AFTER_WINDOWS} stored windows`, () => storedWindowsOrZero(dataDir) >= KILL_AFTER_WINDOWS, { timeoutMs: 60_000 });
      expect(await service.kill('SIGKILL')).toBe('SIGKILL');
      const storedAtKill = countStoredWindows(dataDir);
      expect(storedAtKill).toBeLessThan(TOTAL_WINDOWS);

      service = await startServe(dataDir, serveArgs);
      const published = await simulator.result;
      expect(published).toMatchObject({ devices: FLEET.devices, published: TOTAL_WINDOWS, acked: TOTAL_WINDOWS, unacked: 0 });
      await waitFor('all windows stored', () => countStoredWindows(dataDir) === TOTAL_WINDOWS, { timeoutMs: 60_000 });
      expect(await service.kill('SIGTERM')).toBe('0');
      expect(countStoredWindows(dataDir)).toBe(TOTAL_WINDOWS);
      await verifyStore(dataDir);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'embedded broker: the simulator re-sends unacked windows after the service comes back; all stored exactly once',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-kill-embedded-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const credentialsFile = path.join(dataDir, 'fleet-credentials.json');
      const issued = await runCli([
        'mqtt-credentials',
        '--data-dir',
        dataDir,
        '--devices',
        String(FLEET.devices),
        '--device-prefix',
        FLEET.devicePrefix,
        '--out',
        credentialsFile,
      ]);
      expect(issued.code).toBe(0);
      const mqttPort = await freePort();
      const serveArgs = ['--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1'];

      let service: ServeProcess = await startServe(dataDir, serveArgs);
      cleanups.push(async () => void (await service.kill('SIGKILL')));
      const simulator = startSimulator(simulatorArgs(`mqtt://127.0.0.1:${mqttPort}`, ['--credentials', credentialsFile]));
      cleanups.push(() => void simulator.child.kill('SIGKILL'));
      await waitFor(`${KILL_AFTER_WINDOWS} stored windows`, () => storedWindowsOrZero(dataDir) >= KILL_AFTER_WINDOWS, { timeoutMs: 60_000 });
      expect(await service.kill('SIGKILL')).toBe('SIGKILL');
      expect(countStoredWindows(dataDir)).toBeLessThan(TOTAL_WINDOWS);

      service = await startServe(dataDir, serveArgs);
      const published = await simulator.result;
      expect(published).toMatchObject({ published: TOTAL_WINDOWS, acked: TOTAL_WINDOWS, unacked: 0 });
      expect(published.reconnects).toBeGreaterThanOrEqual(FLEET.devices);
      // Acked by the embedded broker means stored: no waiting needed.
      expect(countStoredWindows(dataDir)).toBe(TOTAL_WINDOWS);
      expect(await service.kill('SIGTERM')).toBe('0');
      await verifyStore(dataDir);
    },
    TEST_TIMEOUT_MS,
  );
});
