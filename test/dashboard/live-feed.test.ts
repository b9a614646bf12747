/** LiveFeed ticks in isolation: a real in-memory store, the real catalogue, fake browser sinks, ticks driven by hand. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { EnergyWindow } from '../../src/domain/types.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { FleetIndex } from '../../src/service/fleet-index.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { LiveFeed } from '../../src/dashboard/live-feed.js';
import type { UpdateMessage } from '../../src/dashboard/live-types.js';
import { SseClient, type SseSink } from '../../src/dashboard/sse-client.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { RecordingLogger } from '../helpers/recording-logger.js';

const NOW_MS = 1_764_000_000_000;
/** Far longer than any test: ticks are driven by calling tick(), never by the timer. */
const NO_TIMER_MS = 3_600_000;

class RecordingSink implements SseSink {
  readonly chunks: string[] = [];
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  onDrain(): void {}
  updates(): UpdateMessage[] {
    return this.chunks.filter((c) => c.startsWith('event: update')).map((c) => JSON.parse(c.slice(c.indexOf('data: ') + 6)) as UpdateMessage);
  }
}

function window(deviceId: string, seq: number): EnergyWindow {
  return {
    deviceId,
    seq,
    startMs: NOW_MS - 60_000 + seq * 10_000,
    durationS: 10,
    energyJ: 0.01,
    sampleCount: 100,
    minPowerW: null,
    maxPowerW: null,
    inferenceCount: 0,
    source: 'http',
  };
}

describe('LiveFeed tick', () => {
  let store: Store;
  let bus: LiveBus;
  let feed: LiveFeed;
  let fleetIndex: FleetIndex;
  let logs: RecordingLogger;

  beforeEach(async () => {
    store = SqliteStore.open(':memory:');
    bus = new LiveBus();
    logs = new RecordingLogger();
    const catalogue = buildCatalogue();
    fleetIndex = new FleetIndex({ store, catalogue, bus, presence: new PresenceRegistry(), clock: () => NOW_MS, onlineThresholdMs: 60_000 });
    feed = new LiveFeed({
      bus,
      store,
      catalogue,
      fleetIndex,
      clock: () => NOW_MS,
      onlineThresholdMs: 60_000,
      log: logs,
      flushIntervalMs: NO_TIMER_MS,
      heartbeatIntervalMs: NO_TIMER_MS,
    });
    await store.createDevice({ id: 'good', spec: SEED_DEFAULT_SPEC });
    // A grid that no longer resolves (e.g. a zone dropped from the data): this device's footprint cannot be computed.
    await store.createDevice({ id: 'broken', spec: { ...SEED_DEFAULT_SPEC, grid: 'em:NO-SUCH-ZONE' } });
    await store.appendWindows([window('good', 1), window('broken', 1)]);
    await fleetIndex.start();
  });
  afterEach(async () => {
    feed.stop();
    fleetIndex.stop();
    await store.close();
  });

  function windowsEvent(deviceId: string): void {
    bus.publish({ type: 'windows', deviceId, inserted: 1, last: window(deviceId, 1) });
  }

  it('one device whose footprint fails is reported with an error; every viewer still gets the other updates', async () => {
    const fleetSink = new RecordingSink();
    const brokenSink = new RecordingSink();
    const goodSink = new RecordingSink();
    feed.add(new SseClient(fleetSink, null));
    feed.add(new SseClient(brokenSink, 'broken'));
    feed.add(new SseClient(goodSink, 'good'));
    windowsEvent('good');
    windowsEvent('broken');
    await feed.tick();

    expect(feed.counters.tickErrors).toBe(0);
    expect(feed.counters.deviceErrors).toBe(1);
    expect(logs.messages().join('\n')).toMatch(/broken/);
    const fleet = fleetSink.updates();
    expect(fleet).toHaveLength(1);
    const rows = new Map(fleet[0]!.rows.map((row) => [row.id, row]));
    expect(rows.get('good')?.error).toBeNull();
    expect(rows.get('broken')?.error).toMatch(/NO-SUCH-ZONE/);

    const good = goodSink.updates();
    expect(good).toHaveLength(1);
    expect(good[0]!.footprints['good']?.footprint.power.kind).toBe('measured');
    expect(good[0]!.points['good']).toEqual([[NOW_MS - 60_000 + 20_000, 0.001]]);

    const broken = brokenSink.updates();
    expect(broken).toHaveLength(1);
    expect(broken[0]!.rows.map((row) => [row.id, row.error !== null])).toEqual([['broken', true]]);
    expect(broken[0]!.footprints).toEqual({});
  });

  it('a tick that fails as a whole keeps its devices for the next tick instead of losing them', async () => {
    const sink = new RecordingSink();
    feed.add(new SseClient(sink, null));
    windowsEvent('good');
    const getAggregate = store.getAggregate.bind(store);
    let failures = 1;
    store.getAggregate = async (id) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('database is locked');
      }
      return getAggregate(id);
    };
    await feed.tick();
    expect(feed.counters.tickErrors).toBe(1);
    expect(sink.updates()).toHaveLength(0);
    await feed.tick();
    expect(sink.updates().map((u) => u.rows.map((row) => row.id))).toEqual([['good']]);
  });

  it('names its interval with its unit', () => {
    expect(feed.tickIntervalMs).toBe(NO_TIMER_MS);
  });
});
