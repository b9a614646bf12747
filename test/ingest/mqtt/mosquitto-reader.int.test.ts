/**
 * The reader against a real Mosquitto, in-process: persistent session (windows published while the service is
 * down arrive when it returns), per-device aggregates exact, bad payloads counted by reason, health counters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../../src/server/serve-config.js';
import { mqttLayer } from '../../../src/server/layers/mqtt-layer.js';
import { runFleetSimulator } from '../../../src/sim/fleet/fleet-simulator.js';
import type { SourceStatus } from '../../../src/obs/health-registry.js';
import { startService, type RunningService } from '../../../src/server/service.js';
import { expectFleetStored, totalsOf, type PublishedFleet } from '../../helpers/fleet-totals.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto, type TestMosquitto } from './mosquitto.js';
import { silentLogger } from '../../../src/obs/logger.js';

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

describe('MQTT reader on a real Mosquitto', () => {
  let broker: TestMosquitto;
  let dataDir: string;
  const running: RunningService[] = [];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    broker = await startMosquitto();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-reader-'));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    for (const service of running.splice(0)) await service.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<RunningService> {
    const config = loadServeConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', '--mqtt-url', broker.url], {});
    const service = await startService(config, { layers: [mqttLayer], log: silentLogger });
    running.push(service);
    await waitFor('reader connected', () => readerStatus(service).state === 'connected');
    return service;
  }

  function readerStatus(service: RunningService): SourceStatus {
    const status = service.context.health.snapshot().find((source) => source.kind === 'mqtt');
    if (status === undefined) throw new Error('no mqtt status');
    return status;
  }

  async function stop(service: RunningService): Promise<void> {
    running.splice(running.indexOf(service), 1);
    await service.close();
  }

  it('windows published while the service is down are stored when it returns (persistent session)', async () => {
    const fleet: PublishedFleet = { devices: 5, count: 300, firstSeq: 0, windowMs: 10_000, devicePrefix: 'away' };
    await stop(await start()); // creates the session and its subscription
    const result = await runFleetSimulator({
      url: broker.url,
      devices: fleet.devices,
      count: fleet.count,
      intervalMs: 0,
      windowMs: fleet.windowMs,
      firstSeq: 0,
      epochMs: 1_764_000_000_000,
      fleet: 'lab',
      devicePrefix: fleet.devicePrefix,
      topicPrefix: 'tinyml',
      protocolVersion: 5,
    });
    expect(result).toMatchObject({ published: 1_500, acked: 1_500, unacked: 0 });
    const service = await start();
    await waitFor('queued windows stored', () => readerStatus(service).counters.windowsInserted === 1_500);
    await expectFleetStored(fleet, async (deviceId) => totalsOf(await service.context.store.getAggregate(deviceId)));
    expect((await service.context.store.getDevice('away-0001'))?.fleet).toBe('lab');
    expect(readerStatus(service).counters).toMatchObject({ windowsInserted: 1_500, duplicates: 0, storeFailures: 0 });
  });

  it('counts bad payloads by reason through the broker and keeps reading', async () => {
    const service = await start();
    const client = await connectAsync(broker.url, { clientId: 'bad-node', reconnectPeriod: 0 });
    clients.push(client);
    const topic = 'tinyml/lab/node-9/window';
    await client.publishAsync(topic, '{not json', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, pad: 'x'.repeat(2_000) }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ...WINDOW, inferences: -1 }), { qos: 1 });
    await client.publishAsync('tinyml/lab/node-9/sample', JSON.stringify({ v: 1, type: 'sample', t_us: 1, mv: 3300, ua: 1000 }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(WINDOW), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(WINDOW), { qos: 1 });
    // A 1 MB payload: Mosquitto accepts it and would silently drop it for a reader whose Maximum Packet Size is
    // smaller (MQTT 5 §3.1.2.11.4); the reader accepts packets up to 1 MiB so that it arrives and is counted.
    await client.publishAsync(topic, Buffer.alloc(1_000_000, 0x20), { qos: 1 });
    await waitFor('seven messages', () => readerStatus(service).counters.messages === 7);
    await waitFor('the duplicate stored', () => readerStatus(service).counters.duplicates === 1);
    await waitFor('every message acked', () => readerStatus(service).counters.acks === 7);
    const status = readerStatus(service);
    expect(status.rejected).toEqual({ bad_json: 1, too_long: 2, out_of_range: 1 });
    expect(status.counters).toMatchObject({ messages: 7, acks: 7, windowsInserted: 1, duplicates: 1, samples: 1, storeFailures: 0, inFlight: 0 });
    expect(totalsOf(await service.context.store.getAggregate('node-9'))).toEqual({ windows: 1, energyUj: 123_456, samples: 100, inferences: 12 });
  });
});
