/** MqttMessageProcessor.handleParsed, the embedded broker's path: a callback per message, after the commit for a window. */
import { describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../../src/domain/types.js';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { MqttMessageProcessor, type HandleOutcome } from '../../../src/ingest/mqtt/message-processor.js';
import { MqttStats } from '../../../src/ingest/mqtt/mqtt-stats.js';
import { parseDeviceTopic, type DeviceTopic } from '../../../src/ingest/mqtt/topics.js';
import type { SubmitResult, WindowSink } from '../../../src/ingest/window-sink.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../../helpers/wait-for.js';

const T0 = 1_764_000_000_000;
const payload = (seq: number) =>
  Buffer.from(
    JSON.stringify({
      v: 1,
      type: 'window',
      seq,
      start_ms: T0 + seq * 10_000,
      duration_ms: 10_000,
      energy_uj: 123_456,
      samples: 100,
      min_power_uw: 800,
      max_power_uw: 27_000,
      inferences: 12,
    }),
  );
const topic = (deviceId: string): DeviceTopic => parseDeviceTopic('tinyml', `tinyml/lab/${deviceId}/window`)!;

describe('MqttMessageProcessor.handleParsed', () => {
  it('calls back once per window, only after the commit that holds it; windows arriving together share one commit', async () => {
    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC, () => T0 + 3_600_000);
    await ingest.announce({ deviceId: 'n1', fleet: 'lab' });
    await ingest.announce({ deviceId: 'n2', fleet: 'lab' });
    const stats = new MqttStats('broker:test', 'broker');
    const processor = new MqttMessageProcessor({ sink: ingest, stats, prefix: 'tinyml', source: 'mqtt:embedded' });
    const outcomes: HandleOutcome[] = [];
    for (const [deviceId, seq] of [
      ['n1', 0],
      ['n2', 0],
      ['n1', 1],
      ['n1', 1], // a redelivery: a duplicate, acked all the same
    ] as const) {
      processor.handleParsed(topic(deviceId), payload(seq), (outcome) => outcomes.push(outcome));
    }
    expect(outcomes).toEqual([]); // nothing acked before the commit
    expect(processor.pendingWindows).toBe(4);
    await waitFor('the commit', () => (outcomes.length === 4 ? true : null));
    expect(outcomes).toEqual(Array.from({ length: 4 }, () => ({ ack: true, result: 'stored' })));
    expect(processor.pendingWindows).toBe(0);
    expect(ingest.counters.commits).toBe(1);
    expect(stats.status().counters).toMatchObject({ messages: 4, windowsInserted: 3, duplicates: 1, inFlight: 0 });
    await ingest.close();
    await store.close();
  });

  it('works with a sink that has only the promise form, and withholds the ack of a sink that throws (close does not wait for it)', async () => {
    const submitted: EnergyWindow[] = [];
    const promiseSink: WindowSink = {
      announce: async () => ({}) as never,
      submitWindows: async (windows): Promise<SubmitResult> => {
        submitted.push(...windows);
        return { inserted: windows.length, duplicates: 0 };
      },
      publishPower: () => undefined,
    };
    const stats = new MqttStats('broker:test', 'broker');
    const processor = new MqttMessageProcessor({ sink: promiseSink, stats, prefix: 'tinyml', source: 'mqtt:embedded' });
    const outcome = await new Promise<HandleOutcome>((resolve) => processor.handleParsed(topic('n1'), payload(0), resolve));
    expect(outcome).toEqual({ ack: true, result: 'stored' });
    expect(submitted.map((window) => window.seq)).toEqual([0]);

    const throwingSink: WindowSink = {
      ...promiseSink,
      submitWindows: () => {
        throw new Error('store is closed');
      },
    };
    const failing = new MqttMessageProcessor({ sink: throwingSink, stats: new MqttStats('broker:test', 'broker'), prefix: 'tinyml', source: 'mqtt:embedded' });
    await failing.handle('tinyml/lab/n1/hello', Buffer.from(JSON.stringify({ v: 1, type: 'hello', board: 'nano', firmware: '1.0' })));
    const failed = await new Promise<HandleOutcome>((resolve) => failing.handleParsed(topic('n1'), payload(1), resolve));
    expect(failed).toEqual({ ack: false, reason: 'store_failed', error: 'store is closed' });
    expect(failing.pendingWindows).toBe(0);
    await failing.close(); // resolves: no window is left in flight
  });
});
