/**
 * A simulated device keeps its unacknowledged windows and re-sends them until they are acked, as firmware with a
 * persistent queue does: bounded by its queue, not by a clock. Real aedes broker, scripted to reproduce what a slow,
 * restarting service does to a device: acks withheld, the connection dropped, and dropped again while MQTT.js is
 * re-sending its stored windows (when MQTT.js fails the publishes it queued meanwhile with "Connection closed").
 */
import net, { type AddressInfo } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { runFleetSimulator } from '../../../../src/sim/fleet/fleet-simulator.js';
const WINDOWS = 30;
const INFLIGHT = 5;

type Phase = 'hold_all' | 'ack_one_then_drop' | 'ack_all';

describe('fleet simulator re-sends what was not acked', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('every window is acked once in the end, across drops during the re-send of stored windows', async () => {
    let phase: Phase = 'hold_all';
    const held: number[] = [];
    const acked = new Set<number>();
    let resentInPhase = 0;
    const drop = (client: Client): void => void client.conn.destroy();
    const broker = await Aedes.createBroker({
      authorizePublish(client, packet, callback) {
        if (client === null || !packet.topic.endsWith('/window')) return callback(null);
        const seq = (JSON.parse(packet.payload.toString()) as { seq: number }).seq;
        switch (phase) {
          case 'hold_all':
            // The service is slow: no ack (aedes then reads nothing more from this device), and the connection dies.
            held.push(seq);
            phase = 'ack_one_then_drop';
            drop(client);
            return;
          case 'ack_one_then_drop':
            // After the reconnect MQTT.js re-sends its stored windows one by one. Ack the first: a slot frees and the
            // simulator publishes a new window, which MQTT.js queues behind the re-send. Then drop the connection.
            resentInPhase += 1;
            if (resentInPhase === 1) {
              acked.add(seq);
              return callback(null);
            }
            phase = 'ack_all';
            drop(client);
            return;
          case 'ack_all':
            acked.add(seq);
            return callback(null);
        }
      },
    });
    const server = net.createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => broker.close(() => server.close(() => resolve()))));
    const port = (server.address() as AddressInfo).port;

    const result = await runFleetSimulator({
      url: `mqtt://127.0.0.1:${port}`,
      devices: 1,
      count: WINDOWS,
      intervalMs: 0,
      windowMs: 10_000,
      firstSeq: 0,
      epochMs: 1_764_000_000_000,
      fleet: 'lab',
      devicePrefix: 'retry',
      topicPrefix: 'tinyml',
      protocolVersion: 4,
      maxInflightPerDevice: INFLIGHT,
    });
    expect(phase).toBe('ack_all'); // the script ran through
    expect(result).toMatchObject({ published: WINDOWS, acked: WINDOWS, unacked: 0 });
    expect(result.reconnects).toBeGreaterThanOrEqual(2);
    expect([...acked].sort((a, b) => a - b)).toEqual(Array.from({ length: WINDOWS }, (_, seq) => seq));
  });
});
