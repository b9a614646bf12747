/**
 * The embedded broker in-process: per-device credentials issued through the API, ACL, exactly-once ingest from
 * authorizePublish, and bad payloads counted by reason and dropped without crashing.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mqttLayer } from '../../src/server/layers/mqtt-layer.js';
import { runFleetSimulator } from '../../src/sim/fleet/fleet-simulator.js';
import type { SourceStatus } from '../../src/obs/health-registry.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { expectFleetStored, totalsOf, type PublishedFleet } from '../helpers/fleet-totals.js';
import { documentedRejectReasons } from './mqtt-doc.js';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/wait-for.js';

const WINDOW = {
  v: 1,
  type: 'window',
  seq: 42,
  start_ms: 1_764_000_000_000,
  duration_ms: 10_000,
  energy_uj: 123_456,
  samples: 100,
  min_power_uw: 800,
  max_power_uw: 27_000,
  inferences: 12,
};

describe('embedded MQTT broker', () => {
  let test: TestService;
  let port: number;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    port = await freePort();
    test = await startTestService({ layers: [mqttLayer] }, ['--mqtt-port', String(port), '--mqtt-host', '127.0.0.1']);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    await test.close();
  });

  async function issue(deviceId: string, fleet?: string): Promise<string> {
    const response = await request<{ password: string; username: string }>(`${test.url}/api/devices/${deviceId}/mqtt-credentials`, {
      method: 'POST',
      token: test.token,
      json: fleet === undefined ? {} : { fleet },
    });
    expect(response.status).toBe(201);
    expect(response.body.username).toBe(deviceId);
    return response.body.password;
  }

  async function device(deviceId: string, password: string): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: deviceId, username: deviceId, password, reconnectPeriod: 0, protocolVersion: 4 });
    clients.push(client);
    return client;
  }

  function brokerStatus(): SourceStatus {
    const status = test.service.context.health.snapshot().find((source) => source.kind === 'broker');
    if (status === undefined) throw new Error('no broker status');
    return status;
  }

  it('issuing credentials needs the bearer token; the password is shown once and stored hashed', async () => {
    const refused = await request(`${test.url}/api/devices/node-1/mqtt-credentials`, { method: 'POST', json: {} });
    expect(refused.status).toBe(401);
    const bad = await request(`${test.url}/api/devices/bad%20id/mqtt-credentials`, { method: 'POST', token: test.token, json: {} });
    expect(bad.status).toBe(400);
    const password = await issue('node-1');
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('stores a window exactly once: the PUBACK follows the commit, a re-sent window is a counted duplicate', async () => {
    const client = await device('node-1', await issue('node-1'));
    await client.publishAsync('tinyml/lab/node-1/window', JSON.stringify(WINDOW), { qos: 1 });
    // Acked means stored: read it right away, no polling.
    const aggregate = await test.service.context.store.getAggregate('node-1');
    expect(totalsOf(aggregate)).toEqual({ windows: 1, energyUj: 123_456, samples: 100, inferences: 12 });
    expect((await test.service.context.store.getDevice('node-1'))?.fleet).toBe('lab');
    await client.publishAsync('tinyml/lab/node-1/window', JSON.stringify(WINDOW), { qos: 1 });
    expect(totalsOf(await test.service.context.store.getAggregate('node-1'))).toEqual({ windows: 1, energyUj: 123_456, samples: 100, inferences: 12 });
    expect(brokerStatus().counters).toMatchObject({ windowsInserted: 1, duplicates: 1 });
  });

  it('refuses a wrong password and an unknown user (CONNACK 4)', async () => {
    await issue('node-1');
    await expect(connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'node-1', password: 'wrong', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    await expect(connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'ghost', password: 'x', reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    await expect(connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
    expect(brokerStatus().rejected).toEqual({ bad_credentials: 3 });
  });

  it('ties the client id to the device: another device cannot take over a session (CONNACK 2, counted)', async () => {
    const victim = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'node-a',
      clean: false,
      username: 'node-a',
      password: await issue('node-a'),
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    clients.push(victim);
    let victimClosed = 0;
    victim.on('close', () => (victimClosed += 1));
    const attackerPassword = await issue('node-b');
    const attempts = ['node-a', 'node-a', 'node-a:x', 'node-a:node-b', 'node-ab'];
    for (const [index, clientId] of attempts.entries()) {
      await expect(
        connectAsync(`mqtt://127.0.0.1:${port}`, {
          clientId,
          clean: index % 2 === 0,
          username: 'node-b',
          password: attackerPassword,
          reconnectPeriod: 0,
          protocolVersion: 4,
        }),
      ).rejects.toMatchObject({ code: 2 });
    }
    // The victim kept its connection and its session: a window it publishes now is acked and stored.
    await victim.publishAsync('tinyml/lab/node-a/window', JSON.stringify(WINDOW), { qos: 1 });
    expect(victimClosed).toBe(0);
    expect(victim.connected).toBe(true);
    expect(totalsOf(await test.service.context.store.getAggregate('node-a')).windows).toBe(1);
    // A device's own ids: its id, or its id, a colon and a suffix (a second connection of the same device).
    for (const clientId of ['node-b', 'node-b:diag']) {
      clients.push(
        await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, username: 'node-b', password: attackerPassword, reconnectPeriod: 0, protocolVersion: 4 }),
      );
    }
    expect(brokerStatus().rejected).toEqual({ bad_client_id: attempts.length });
  });

  it('a re-issued credential revokes the old password', async () => {
    const first = await issue('node-1');
    await issue('node-1');
    await expect(connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'node-1', password: first, reconnectPeriod: 0 })).rejects.toMatchObject({ code: 4 });
  });

  it('refuses a device publishing under another device (or another bound fleet): disconnected, nothing stored', async () => {
    await issue('victim');
    const attacker = await device('attacker', await issue('attacker', 'lab'));
    const closed = new Promise<void>((resolve) => attacker.once('close', () => resolve()));
    attacker.publish('tinyml/lab/victim/window', JSON.stringify(WINDOW), { qos: 1 });
    await closed;
    const other = await device('attacker', await issue('attacker', 'lab'));
    const closedAgain = new Promise<void>((resolve) => other.once('close', () => resolve()));
    other.publish('tinyml/other-fleet/attacker/window', JSON.stringify(WINDOW), { qos: 1 });
    await closedAgain;
    expect(await test.service.context.store.getAggregate('victim')).toBeUndefined();
    expect(await test.service.context.store.getDevice('victim')).toBeUndefined();
    expect(await test.service.context.store.getAggregate('attacker')).toBeUndefined();
    expect(brokerStatus().rejected).toEqual({ acl: 2 });
  });

  it('counts malformed, oversized, out-of-range and mismatched payloads by reason, drops them, and keeps serving', async () => {
    const client = await device('node-1', await issue('node-1'));
    const topic = 'tinyml/lab/node-1/window';
    await client.publishAsync(topic, '{not json', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, pad: 'x'.repeat(2_000) }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, duration_ms: 0 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, energy_uj: -5 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, seq: 'seven' }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, min_power_uw: 30_000 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, v: 2 }), { qos: 1 });
    await client.publishAsync('tinyml/lab/node-1/hello', JSON.stringify(WINDOW), { qos: 1 });
    await client.publishAsync('tinyml/lab/node-1/status', 'maybe', { qos: 1 });
    await client.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, seq: 1.5 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, samples: undefined }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, type: 'reboot' }), { qos: 1 });
    // Well-formed but implausible (average power below the window's own minimum: a unit mistake): dropped by
    // ingest's shared plausibility check, acked, counted.
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, seq: 43, energy_uj: 1_000 }), { qos: 1 });
    // Still connected and serving: a good window after the bad ones is stored.
    await client.publishAsync(topic, JSON.stringify(WINDOW), { qos: 1 });
    expect(client.connected).toBe(true);
    expect(brokerStatus().rejected).toEqual({
      bad_json: 2,
      too_long: 1,
      out_of_range: 2,
      bad_type: 1,
      inconsistent: 1,
      unsupported_version: 1,
      topic_mismatch: 1,
      bad_status: 1,
      implausible: 1,
      bad_number: 1,
      missing_field: 1,
      unknown_type: 1,
    });
    // Every reason health shows is explained in MQTT.md's list.
    const documented = documentedRejectReasons();
    for (const reason of Object.keys(brokerStatus().rejected)) expect(documented, `MQTT.md lists "${reason}"`).toContain(reason);
    expect(totalsOf(await test.service.context.store.getAggregate('node-1'))).toEqual({ windows: 1, energyUj: 123_456, samples: 100, inferences: 12 });
  });

  it('health counters: connections made (connects), connected now (clientsConnected), PUBACKs written (acks)', async () => {
    const password = await issue('node-1');
    const first = await device('node-1', password);
    const second = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'node-1:two',
      username: 'node-1',
      password,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    await waitFor('two clients connected', () => brokerStatus().counters['clientsConnected'] === 2);
    expect(brokerStatus().counters).toMatchObject({ connects: 2, acks: 0 });
    for (const seq of [1, 2, 3])
      await first.publishAsync('tinyml/lab/node-1/window', JSON.stringify({ ...WINDOW, seq, start_ms: WINDOW.start_ms + seq * 10_000 }), { qos: 1 });
    await first.publishAsync('tinyml/lab/node-1/sample', JSON.stringify({ v: 1, type: 'sample', t_us: 1, mv: 3300, ua: 1000 }), { qos: 0 });
    await second.publishAsync('tinyml/lab/node-1/status', 'online', { qos: 1, retain: true });
    await waitFor('the QoS 0 sample', () => brokerStatus().counters['samples'] === 1);
    await second.endAsync();
    await waitFor('one client left', () => brokerStatus().counters['clientsConnected'] === 1);
    clients.push(
      await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'node-1:three', username: 'node-1', password, reconnectPeriod: 0, protocolVersion: 4 }),
    );
    await waitFor('two clients again', () => brokerStatus().counters['clientsConnected'] === 2);
    // 3 windows + 1 status at QoS 1 were acked; the QoS 0 sample has no PUBACK.
    expect(brokerStatus().counters).toMatchObject({ connects: 3, clientsConnected: 2, acks: 4, windowsInserted: 3, statusMessages: 1 });
    expect(brokerStatus().counters).not.toHaveProperty('reconnects'); // the broker does not reconnect: not shown
  });

  it('the fleet simulator with per-device credentials: stored sums equal the published sums exactly', async () => {
    const fleet: PublishedFleet = { devices: 8, count: 250, firstSeq: 0, windowMs: 10_000, devicePrefix: 'emb' };
    const passwords = new Map<string, string>();
    for (let index = 1; index <= fleet.devices; index += 1) {
      const id = `emb-${String(index).padStart(4, '0')}`;
      passwords.set(id, await issue(id));
    }
    const result = await runFleetSimulator({
      url: `mqtt://127.0.0.1:${port}`,
      devices: fleet.devices,
      count: fleet.count,
      intervalMs: 0,
      windowMs: fleet.windowMs,
      firstSeq: 0,
      epochMs: 1_764_000_000_000,
      fleet: 'lab',
      devicePrefix: 'emb',
      topicPrefix: 'tinyml',
      passwords,
      protocolVersion: 4,
    });
    expect(result).toMatchObject({ devices: 8, published: 2_000, acked: 2_000, unacked: 0, reconnects: 0 });
    await expectFleetStored(fleet, async (deviceId) => totalsOf(await test.service.context.store.getAggregate(deviceId)));
    const status = brokerStatus();
    // statusMessages: `online` on connect and `offline` (retained) on the way out, both acked before the simulator returned.
    expect(status.counters).toMatchObject({
      windowsInserted: 2_000,
      duplicates: 0,
      hellos: 8,
      connects: 8,
      acks: 2_000 + 8 + 16,
      statusMessages: 16,
      inFlight: 0,
    });
    await waitFor('every simulated device gone', () => brokerStatus().counters['clientsConnected'] === 0);
    expect(status.rejected).toEqual({});
  });

  it('the simulator fails fast on bad credentials instead of reconnecting forever', async () => {
    await expect(
      runFleetSimulator({
        url: `mqtt://127.0.0.1:${port}`,
        devices: 1,
        count: 1,
        intervalMs: 0,
        windowMs: 10_000,
        firstSeq: 0,
        epochMs: 1_764_000_000_000,
        fleet: 'lab',
        devicePrefix: 'nobody',
        topicPrefix: 'tinyml',
        username: 'nobody-0001',
        password: 'nope',
        protocolVersion: 4,
      }),
    ).rejects.toThrow(/nobody-0001/);
  });
});
