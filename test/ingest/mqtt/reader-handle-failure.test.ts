/**
 * MqttReader when handling a message rejects (the processor's contract says it never does, but a bug or a dead store
 * might): no unhandled promise rejection, the failure is in health, the PUBACK is withheld and the reader reconnects
 * so the broker redelivers. A fake MQTT.js client: no broker needed.
 */
import { EventEmitter } from 'node:events';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttMessageProcessor } from '../../../src/ingest/mqtt/message-processor.js';
import { MqttReader, READER_PAUSE_AT_PENDING } from '../../../src/ingest/mqtt/mqtt-reader.js';
import { INGEST_COMMIT_MAX_WINDOWS } from '../../../src/ingest/ingest-service.js';
import { MqttStats } from '../../../src/ingest/mqtt/mqtt-stats.js';
import { Backoff } from '../../../src/util/backoff.js';
import { silentLogger } from '../../../src/obs/logger.js';

/** Enough of MQTT.js's client for the reader: handleMessage, connection flag, stream, packet writer. */
class FakeClient extends EventEmitter {
  handleMessage: (packet: IPublishPacket, callback: (error?: Error) => void) => void = () => {};
  connected = true;
  readonly sent: unknown[] = [];
  destroyed = 0;
  readonly stream = { destroy: () => void (this.destroyed += 1) };
  _sendPacket(packet: unknown): void {
    this.sent.push(packet);
  }
  subscribe(): void {}
  reconnect(): void {}
  async endAsync(): Promise<void> {}
}

function packet(messageId: number): IPublishPacket {
  return { cmd: 'publish', qos: 1, dup: false, retain: false, topic: 'tinyml/lab/node-1/window', payload: Buffer.from('{}'), messageId };
}

/** Settle every pending promise callback (a handful of microtask hops, then a macrotask). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('MqttReader: a rejected message handling', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let client: FakeClient;
  let stats: MqttStats;
  let reader: MqttReader;
  let pending = 0;

  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    client = new FakeClient();
    stats = new MqttStats('mqtt:test', 'mqtt');
    const processor = {
      handle: () => Promise.reject(new Error('boom')),
      get pendingWindows() {
        return pending;
      },
      close: async () => {},
    } as unknown as MqttMessageProcessor;
    reader = new MqttReader({
      url: 'mqtt://fake',
      clientId: 'c',
      prefix: 'tinyml',
      processor,
      stats,
      log: silentLogger,
      connectFn: () => client as unknown as MqttClient,
      // Never reconnects by timer during the test.
      backoff: new Backoff({ initialMs: 3_600_000, maxMs: 3_600_000, factor: 2, jitter: 'full' }, () => 0.5),
    });
    reader.start();
  });
  afterEach(async () => {
    await reader.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  for (const [label, pendingWindows] of [
    ['below', 0],
    ['at the pause threshold', READER_PAUSE_AT_PENDING],
  ] as const) {
    it(`is recorded, not acked, and reconnects (pending ${label})`, async () => {
      pending = pendingWindows;
      const callbacks: (Error | undefined)[] = [];
      client.handleMessage(packet(7), (error) => callbacks.push(error));
      await settle();
      await settle();
      expect(unhandled).toEqual([]);
      expect(callbacks).toHaveLength(1);
      expect(callbacks[0]?.name).toBe('DeferredAck'); // MQTT.js moves on without sending the PUBACK itself
      expect(client.sent).toEqual([]);
      expect(stats.counters.acks).toBe(0);
      expect(stats.counters.storeFailures).toBe(1);
      expect(stats.lastError).toMatch(/boom/);
      expect(client.destroyed).toBe(1); // a new connection makes the broker redeliver
    });
  }

  it('pauses reading at two full group commits', () => {
    expect(READER_PAUSE_AT_PENDING).toBe(2 * INGEST_COMMIT_MAX_WINDOWS);
  });
});
