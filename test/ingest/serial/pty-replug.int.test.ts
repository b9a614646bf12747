/**
 * End to end over a real pseudo-terminal pair (socat): the simulator writes one end, startSerialReaders reads the
 * other into SqliteStore through IngestService. Then the pair is torn down and recreated at the same link paths
 * (an unplug/replug): the reader must reconnect by itself and the stored aggregate must hold exactly what was sent.
 * Needs socat: this test FAILS when it is missing (install it; .ci/run does).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { startSerialReaders, storeSeqStart } from '../../../src/ingest/serial/index.js';
import type { SerialReaders } from '../../../src/ingest/serial/index.js';
import { DEFAULT_PROFILE, expectedAveragePowerUw } from '../../../src/sim/serial/power-profile.js';
import type { PowerProfile } from '../../../src/sim/serial/power-profile.js';
import { createPtyPair, isSocatAvailable } from '../../../src/sim/serial/pty-pair.js';
import type { PtyPair } from '../../../src/sim/serial/pty-pair.js';
import { SerialSimulator } from '../../../src/sim/serial/serial-simulator.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { HealthRegistry } from '../../../src/obs/health-registry.js';
import type { SourceStatus } from '../../../src/obs/health-registry.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../../helpers/wait-for.js';

const PROFILE: PowerProfile = {
  ...DEFAULT_PROFILE,
  deviceId: 'sim-e2e',
  noiseUa: 4, // below the 5 µA sleep current: larger noise is clamped at 0 A and biases the average up
  checksumErrorRate: 0.002,
  startUs: 2 ** 32 - 6_000_000, // the µs counter wraps 6 s into the first segment
  seed: 42,
};
const SEGMENT_1_US = 15_000_000;
const SEGMENT_2_US = 12_000_000;

const dir = mkdtempSync(join(tmpdir(), 'tmf-e2e-'));
let pair: PtyPair | null = null;
let readers: SerialReaders | null = null;
afterAll(async () => {
  await readers?.stop();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serial end to end over a socat pty pair', () => {
  it('measures the simulated profile within 1 %, survives an unplug/replug, and stores everything exactly once', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    const devicePath = join(dir, 'device');
    const readerPath = join(dir, 'ttyACM-sim');
    pair = await createPtyPair(devicePath, readerPath);

    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [readerPath],
        autoDiscover: false,
        baudRate: 115_200,
        seqStart: storeSeqStart(store),
        backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 'equal' },
      },
      ingest,
      health,
    );
    const status = (): SourceStatus => health.snapshot().find((s) => s.name === `serial:${readerPath}`)!;
    await waitFor('the reader to open the pty', () => status().state === 'connected');

    const simulator = new SerialSimulator(PROFILE);
    await simulator.run({ path: devicePath, baudRate: 115_200, durationUs: SEGMENT_1_US, isRealTime: false });
    const linesAfterFirst = simulator.generator.counters.lines;
    await waitFor('segment 1 to be read', () => status().counters['lines'] === linesAfterFirst);

    await pair.close(); // unplug
    pair = null;
    await waitFor('the reader to notice the unplug', () => status().state !== 'connected');
    pair = await createPtyPair(devicePath, readerPath); // replug at the same path
    await waitFor('the reader to reconnect by itself', () => status().state === 'connected' && status().counters['sessions'] === 2);

    await simulator.run({ path: devicePath, baudRate: 115_200, durationUs: SEGMENT_2_US, isRealTime: false });
    const sent = simulator.generator.counters;
    await waitFor('segment 2 to be read', () => status().counters['lines'] === sent.lines);
    await readers.stop();
    readers = null;

    const aggregate = await store.getAggregate(PROFILE.deviceId);
    expect(aggregate).toBeDefined();
    const final = status();
    // Nothing lost, nothing twice: the stored energy is the trapezoid over every intact sample sent, per connection.
    expect(Math.abs(aggregate!.energyJ * 1e6 - sent.sentEnergyUj)).toBeLessThan(sent.sentEnergyUj * 1e-9);
    expect(aggregate!.samples).toBe(sent.samples - sent.corruptedLines);
    expect(aggregate!.inferences).toBe(sent.inferences);
    expect(ingest.counters.windowsDuplicate).toBe(0);
    expect(aggregate!.windows).toBe(ingest.counters.windowsInserted);
    expect(final.rejected).toEqual({ bad_checksum: sent.corruptedLines });
    expect(sent.corruptedLines).toBeGreaterThan(0);
    // Measured average within 1 % of the profile's exact average.
    const measuredUw = (aggregate!.energyJ / aggregate!.observedS) * 1e6;
    const exactUw = expectedAveragePowerUw(PROFILE);
    expect(Math.abs(measuredUw - exactUw) / exactUw).toBeLessThan(0.01);
    // Both connections covered: 27 s minus one sample period at each connection's edge.
    expect(aggregate!.observedS).toBeGreaterThan((SEGMENT_1_US + SEGMENT_2_US) / 1e6 - 0.01);
    expect(final.counters).toMatchObject({ sessions: 2, clockResets: 0, gaps: 0, bytesDropped: 0 });
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ final, aggregate, sent, measuredUw, exactUw }));
    await store.close();
  });
});
