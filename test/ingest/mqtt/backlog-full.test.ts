/** A full outbox (--store influx) reaches MQTT as an overload: the window is not acknowledged, so the broker redelivers it. */
import { describe, expect, it } from 'vitest';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { MqttMessageProcessor } from '../../../src/ingest/mqtt/message-processor.js';
import { MqttStats } from '../../../src/ingest/mqtt/mqtt-stats.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const payload = (seq: number) =>
  Buffer.from(
    JSON.stringify({
      v: 1,
      type: 'window',
      seq,
      start_ms: 1_764_000_000_000 + seq * 10_000,
      duration_ms: 10_000,
      energy_uj: 123_456,
      samples: 100,
      min_power_uw: 800,
      max_power_uw: 27_000,
      inferences: 12,
    }),
  );

describe('MQTT with a full outbox', () => {
  it('withholds the ack (reason overload) while the backlog holds its cap, and stores and acks the redelivery once it drained', async () => {
    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    let full: string | null = null;
    ingest.useOutbox({ refusal: () => full, notifyCommitted: () => undefined });
    const stats = new MqttStats('mqtt:test', 'mqtt');
    const processor = new MqttMessageProcessor({ sink: ingest, stats, prefix: 'tinyml', source: 'mqtt:test' });
    expect(await processor.handle('tinyml/lab/n1/window', payload(0))).toEqual({ ack: true, result: 'stored' });
    full = '5 windows wait to be written to influx (cap 5)';
    expect(await processor.handle('tinyml/lab/n1/window', payload(1))).toEqual({
      ack: false,
      reason: 'overload',
      error: 'the outbox is full: 5 windows wait to be written to influx (cap 5)',
    });
    expect(stats.status().rejected).toMatchObject({ overload: 1 });
    expect((await store.getAggregate('n1'))?.windows).toBe(1);
    full = null;
    expect(await processor.handle('tinyml/lab/n1/window', payload(1))).toEqual({ ack: true, result: 'stored' });
    expect((await store.getAggregate('n1'))?.windows).toBe(2);
    await ingest.close();
    await store.close();
  });
});
