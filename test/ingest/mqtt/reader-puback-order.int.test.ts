/**
 * PUBACK order against a real Mosquitto [MQTT-4.6.0-2]: the reader acknowledges QoS 1 PUBLISHes in the order they
 * arrived, even when a window's ack waits for its batch to commit and the samples, hellos and rejected messages behind
 * it are handled at once. The wire is observed on the reader's own client (`packetreceive` / `packetsend`).
 */
import { connectAsync, type IClientOptions, type MqttClient, type Packet, connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../../src/domain/types.js';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { MqttMessageProcessor } from '../../../src/ingest/mqtt/message-processor.js';
import { MqttReader } from '../../../src/ingest/mqtt/mqtt-reader.js';
import { MqttStats } from '../../../src/ingest/mqtt/mqtt-stats.js';
import type { SubmitResult, WindowSink } from '../../../src/ingest/window-sink.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto, type TestMosquitto } from './mosquitto.js';
import { silentLogger } from '../../../src/obs/logger.js';

const WINDOW = {
  v: 1,
  type: 'window',
  start_ms: 1_764_000_000_000,
  duration_ms: 10_000,
  energy_uj: 123_456,
  samples: 100,
  min_power_uw: 800,
  max_power_uw: 27_000,
  inferences: 12,
};

describe('reader PUBACK order on a real Mosquitto', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('acks samples, hellos and rejected messages only after the window acks queued before them', async () => {
    const broker: TestMosquitto = await startMosquitto();
    cleanups.push(() => broker.close());
    const store = SqliteStore.open(':memory:');
    cleanups.push(() => store.close());
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    // Windows are stored only when the test opens the gate: their acks are pending while the rest is handled.
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const sink: WindowSink = {
      announce: (hello) => ingest.announce(hello),
      publishPower: () => {},
      async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
        await gate;
        return ingest.submitWindows(windows);
      },
    };
    const stats = new MqttStats('mqtt:test', 'mqtt');
    const processor = new MqttMessageProcessor({ sink, stats, prefix: 'tinyml', source: 'mqtt:test' });
    const received: number[] = [];
    const acked: number[] = [];
    const reader = new MqttReader({
      url: broker.url,
      clientId: 'order-reader',
      prefix: 'tinyml',
      processor,
      stats,
      log: silentLogger,
      connectFn: (url: string, options: IClientOptions): MqttClient => {
        const client = connect(url, options);
        client.on('packetreceive', (packet: Packet) => {
          if (packet.cmd === 'publish' && packet.qos === 1 && packet.messageId !== undefined) received.push(packet.messageId);
        });
        client.on('packetsend', (packet: Packet) => {
          if (packet.cmd === 'puback' && packet.messageId !== undefined) acked.push(packet.messageId);
        });
        return client;
      },
    });
    reader.start();
    cleanups.push(() => reader.stop());
    cleanups.push(() => openGate()); // runs first: a failed test must not leave the reader waiting on the gate
    await waitFor('reader connected', () => stats.state === 'connected');
    await waitFor('subscribed', () => stats.counters.connects === 1 && received.length === 0 && stats.lastError === null);

    const device = await connectAsync(broker.url, { clientId: 'order-node', protocolVersion: 5, reconnectPeriod: 0 });
    cleanups.push(() => device.endAsync(true));
    const base = 'tinyml/lab/order-node';
    const sends = [
      device.publishAsync(`${base}/window`, JSON.stringify({ ...WINDOW, seq: 1 }), { qos: 1 }),
      device.publishAsync(`${base}/sample`, JSON.stringify({ v: 1, type: 'sample', t_us: 1, mv: 3300, ua: 1000 }), { qos: 1 }),
      device.publishAsync(`${base}/hello`, JSON.stringify({ v: 1, type: 'hello', board: 'b', firmware: 'f' }), { qos: 1 }),
      device.publishAsync(`${base}/window`, '{not json', { qos: 1 }),
      device.publishAsync(`${base}/status`, 'online', { qos: 1 }),
      device.publishAsync(`${base}/window`, JSON.stringify({ ...WINDOW, seq: 2, start_ms: WINDOW.start_ms + 10_000 }), { qos: 1 }),
      device.publishAsync(`${base}/sample`, JSON.stringify({ v: 1, type: 'sample', t_us: 2, mv: 3300, ua: 1000 }), { qos: 1 }),
    ];
    await waitFor('all messages handled or pending', () => stats.counters.messages === sends.length);
    // Everything but the windows is handled by now; give the event loop a turn so an early ack would have gone out.
    await new Promise((resolve) => setImmediate(resolve));
    expect(acked, 'no ack may overtake the pending window ack').toEqual([]);
    openGate();
    await Promise.all(sends);
    await waitFor('every message acked', () => acked.length === sends.length);
    expect(received).toHaveLength(sends.length);
    expect(acked).toEqual(received);
    expect(stats.counters.acks).toBe(sends.length);
    expect(stats.counters.windowsInserted).toBe(2);
    expect(stats.rejected).toEqual({ bad_json: 1 });
  });
});
