/**
 * Two service instances configured with one client id at a real Mosquitto: each connection takes the other's session
 * over. Both say so loudly, in the log and in /api/health, instead of flapping quietly with "session resumed"; once one
 * instance is gone, the other holds the session and reads the fleet. (The MQTT 5 DISCONNECT 0x8E path, which this
 * Mosquitto does not send, is covered by the SessionWatch unit test.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../../src/server/serve-config.js';
import { mqttLayer } from '../../../src/server/layers/mqtt-layer.js';
import type { SourceStatus } from '../../../src/obs/health-registry.js';
import { SHORT_SESSIONS_WARNING } from '../../../src/ingest/mqtt/session-watch.js';
import { startService, type RunningService } from '../../../src/server/service.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto, type TestMosquitto } from './mosquitto.js';

const SHARED_CLIENT_ID = 'same-id-twice';
const WINDOW = {
  v: 1,
  type: 'window',
  seq: 1,
  start_ms: 1_764_000_000_000,
  duration_ms: 10_000,
  energy_uj: 123_456,
  samples: 100,
  min_power_uw: 800,
  max_power_uw: 27_000,
  inferences: 12,
};

describe('session takeover at an external broker', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function instance(broker: TestMosquitto, logs: RecordingLogger): Promise<RunningService> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-takeover-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = loadServeConfig(
      ['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', '--mqtt-url', broker.url, '--mqtt-client-id', SHARED_CLIENT_ID],
      {},
    );
    const service = await startService(config, { layers: [mqttLayer], log: logs });
    cleanups.push(() => service.close());
    return service;
  }

  async function readerHealth(service: RunningService): Promise<SourceStatus> {
    const body = (await (await fetch(`${service.url}/api/health`)).json()) as { sources: SourceStatus[] };
    const reader = body.sources.find((source) => source.kind === 'mqtt');
    if (reader === undefined) throw new Error('no mqtt source in /api/health');
    return reader;
  }

  it('both instances report the takeover in the log and /api/health', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const logs = [new RecordingLogger(), new RecordingLogger()] as const;
    const first = await instance(broker, logs[0]);
    await waitFor('first reader connected', async () => (await readerHealth(first)).state === 'connected');
    const second = await instance(broker, logs[1]);

    for (const [index, service] of [first, second].entries()) {
      const health = await waitFor(
        `instance ${index + 1} to warn`,
        async () => {
          const status = await readerHealth(service);
          return typeof status.details?.['warning'] === 'string' ? status : null;
        },
        { timeoutMs: 30_000 },
      );
      expect(health.details?.['warning']).toMatch(new RegExp(`client id "${SHARED_CLIENT_ID}".*--mqtt-client-id`));
      expect(health.lastError).toBe(health.details?.['warning']);
      // Mosquitto 2.0.11 closes the older connection without a DISCONNECT 0x8E: the sign is the run of short sessions.
      expect(health.counters['sessionTakeovers']! + health.counters['shortSessions']!).toBeGreaterThanOrEqual(SHORT_SESSIONS_WARNING);
      expect(
        logs[index]!.lines.some((line) => line.level === 'warn' && line.message.startsWith('mqtt: WARNING:') && line.message.includes(`"${SHARED_CLIENT_ID}"`)),
      ).toBe(true);
    }

    // Alone again, the first instance holds the session and reads the fleet.
    await second.close();
    await waitFor('first reader connected alone', async () => (await readerHealth(first)).state === 'connected', { timeoutMs: 60_000 });
    const device = await connectAsync(broker.url, { clientId: 'takeover-node', protocolVersion: 5, reconnectPeriod: 0 });
    cleanups.push(() => device.endAsync(true));
    await device.publishAsync('tinyml/lab/takeover-node/window', JSON.stringify(WINDOW), { qos: 1 });
    await waitFor('the window stored by the first instance', async () => (await first.context.store.getAggregate('takeover-node'))?.windows === 1, {
      timeoutMs: 60_000,
    });
  }, 90_000);
});
