/**
 * Ack only after store: when storing fails, the reader withholds the PUBACKs, reconnects, and the broker redelivers;
 * once the store works again every window is stored exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../../src/domain/types.js';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { MqttMessageProcessor } from '../../../src/ingest/mqtt/message-processor.js';
import { MqttReader } from '../../../src/ingest/mqtt/mqtt-reader.js';
import { MqttStats } from '../../../src/ingest/mqtt/mqtt-stats.js';
import { runFleetSimulator } from '../../../src/sim/fleet/fleet-simulator.js';
import type { SubmitResult, WindowSink } from '../../../src/ingest/window-sink.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { Backoff } from '../../../src/util/backoff.js';
import { expectFleetStored, totalsOf, type PublishedFleet } from '../../helpers/fleet-totals.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMosquitto, type TestMosquitto } from './mosquitto.js';
import { silentLogger } from '../../../src/obs/logger.js';

/** Store calls that fail before the store "recovers". */
const FAILING_SUBMITS = 3;

describe('reader when storing fails', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('withholds acks, reconnects for redelivery, and stores every window exactly once afterwards', async () => {
    const broker: TestMosquitto = await startMosquitto();
    cleanups.push(() => broker.close());
    const store = SqliteStore.open(':memory:');
    cleanups.push(() => store.close());
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    let failuresLeft = FAILING_SUBMITS;
    const sink: WindowSink = {
      announce: (hello) => ingest.announce(hello),
      publishPower: () => {},
      async submitWindows(windows: readonly EnergyWindow[]): Promise<SubmitResult> {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('disk I/O error (simulated)');
        }
        return ingest.submitWindows(windows);
      },
    };
    const stats = new MqttStats('mqtt:test', 'mqtt');
    const processor = new MqttMessageProcessor({ sink, stats, prefix: 'tinyml', source: 'mqtt:test' });
    const reader = new MqttReader({
      url: broker.url,
      clientId: 'failing-reader',
      prefix: 'tinyml',
      processor,
      stats,
      log: silentLogger,
      backoff: new Backoff({ initialMs: 20, maxMs: 200, factor: 2, jitter: 'full' }),
    });
    reader.start();
    cleanups.push(() => reader.stop());
    await waitFor('reader connected', () => stats.state === 'connected' && stats.counters.connects === 1);

    const fleet: PublishedFleet = { devices: 4, count: 250, firstSeq: 0, windowMs: 10_000, devicePrefix: 'fail' };
    const published = await runFleetSimulator({
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
    expect(published).toMatchObject({ published: 1_000, acked: 1_000, unacked: 0 });
    await waitFor('all windows stored', () => ingest.counters.windowsInserted === 1_000, { timeoutMs: 30_000 });
    expect(failuresLeft).toBe(0);
    // Each failed batch withholds the ack of every window in it (at least one window per failed call).
    expect(stats.counters.storeFailures).toBeGreaterThanOrEqual(FAILING_SUBMITS);
    expect(stats.counters.reconnects).toBeGreaterThanOrEqual(1);
    await expectFleetStored(fleet, async (deviceId) => totalsOf(await store.getAggregate(deviceId)));
  });
});
