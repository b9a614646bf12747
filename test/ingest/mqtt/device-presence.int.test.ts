/**
 * Presence end to end: a device connects with a last will, reports, and its connection is cut (socket destroyed, no
 * DISCONNECT). The broker fires the will, and /api/fleet, /api/devices/:id and its footprint show the device offline
 * at once, well inside the 60 s during which its last window would still count it online. Embedded broker and a real
 * Mosquitto (through the reader).
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttLayer } from '../../../src/server/layers/mqtt-layer.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto } from './mosquitto.js';

/** Far below the 60 s online threshold: only presence can make the device offline this fast. */
const OFFLINE_WITHIN_MS = 20_000;

function windowEndingNow(seq: number): string {
  const durationMs = 10_000;
  return JSON.stringify({
    v: 1,
    type: 'window',
    seq,
    start_ms: Date.now() - durationMs,
    duration_ms: durationMs,
    energy_uj: 123_456,
    samples: 100,
    min_power_uw: 800,
    max_power_uw: 27_000,
    inferences: 12,
  });
}

interface Views {
  fleetRow: { online: boolean; presence: { state: string; via: string } | null } | undefined;
  fleetOnline: number;
  device: { status: { online: boolean; presence: { state: string } | null } };
  footprint: { status: { online: boolean } };
}

async function views(test: TestService, deviceId: string): Promise<Views> {
  const fleet = await request<{ online: number; rows: { id: string; online: boolean; presence: Views['fleetRow'] extends infer R ? R : never }[] }>(
    `${test.url}/api/fleet`,
  );
  const device = await request<Views['device']>(`${test.url}/api/devices/${deviceId}`);
  const footprint = await request<Views['footprint']>(`${test.url}/api/devices/${deviceId}/footprint`);
  return {
    fleetRow: fleet.body.rows.find((row) => row.id === deviceId) as Views['fleetRow'],
    fleetOnline: fleet.body.online,
    device: device.body,
    footprint: footprint.body,
  };
}

describe('device presence from the last will', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function reportAndCut(test: TestService, url: string, deviceId: string, options: IClientOptions): Promise<void> {
    const status = `tinyml/lab/${deviceId}/status`;
    const device: MqttClient = await connectAsync(url, {
      clientId: deviceId,
      clean: false,
      reconnectPeriod: 0,
      keepalive: 30,
      ...options,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    cleanups.push(() => device.endAsync(true));
    await device.publishAsync(status, 'online', { qos: 1, retain: true });
    await device.publishAsync(`tinyml/lab/${deviceId}/window`, windowEndingNow(1), { qos: 1 });
    const before = await waitFor(`${deviceId} online`, async () => {
      const seen = await views(test, deviceId);
      return seen.fleetRow?.online === true && seen.footprint.status.online === true ? seen : null;
    });
    expect(before.device.status?.online).toBe(true);
    expect(before.fleetRow?.presence?.state).toBe('online');
    expect(before.fleetOnline).toBe(1);

    const cutAtMs = Date.now();
    device.stream.destroy(); // the network is gone: no DISCONNECT, so the broker fires the will
    const after = await waitFor(
      `${deviceId} offline in every view`,
      async () => {
        const seen = await views(test, deviceId);
        return seen.fleetRow?.online === false && seen.footprint.status.online === false && seen.device.status?.online === false ? seen : null;
      },
      { timeoutMs: OFFLINE_WITHIN_MS, intervalMs: 20 },
    );
    expect(Date.now() - cutAtMs).toBeLessThan(OFFLINE_WITHIN_MS);
    expect(after.fleetRow?.presence?.state).toBe('offline');
    expect(after.device.status.presence?.state).toBe('offline');
    expect(after.fleetOnline).toBe(0);
  }

  it('embedded broker: offline as soon as the connection dies', async () => {
    const port = await freePort();
    const test = await startTestService({ layers: [mqttLayer] }, ['--mqtt-port', String(port), '--mqtt-host', '127.0.0.1']);
    cleanups.push(() => test.close());
    const issued = await request<{ password: string }>(`${test.url}/api/devices/will-node/mqtt-credentials`, { method: 'POST', token: test.token, json: {} });
    await reportAndCut(test, `mqtt://127.0.0.1:${port}`, 'will-node', { username: 'will-node', password: issued.body.password, protocolVersion: 4 });
  });

  it('external Mosquitto: offline as soon as the broker publishes the will', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const test = await startTestService({ layers: [mqttLayer] }, ['--mqtt-url', broker.url, '--mqtt-client-id', 'presence-reader']);
    cleanups.push(() => test.close());
    await waitFor('reader connected', () => test.service.context.health.snapshot().some((source) => source.kind === 'mqtt' && source.state === 'connected'));
    await reportAndCut(test, broker.url, 'will-node', { protocolVersion: 5 });
  });
});
