/**
 * A board that streams S samples and also sends its own W windows (like the INA226 example firmware), over a real
 * socat pty pair into SqliteStore, across an unplug/replug: windows win (SPEC §2), so the stored energy is exactly
 * the sum of the W windows the board sent, and the samples before the first W are not stored on top of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { startSerialReaders, storeSeqStart } from '../../../src/ingest/serial/index.js';
import type { SerialReaders } from '../../../src/ingest/serial/index.js';
import { DEFAULT_PROFILE } from '../../../src/sim/serial/power-profile.js';
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

const PROFILE: PowerProfile = { ...DEFAULT_PROFILE, deviceId: 'sim-sw', burstUs: 20_000, dutyCycle: 0.2, deviceWindowUs: 5_000_000 };
const SEGMENT_US = 16_000_000;

const dir = mkdtempSync(join(tmpdir(), 'tmf-sw-'));
let pair: PtyPair | null = null;
let readers: SerialReaders | null = null;
afterAll(async () => {
  await readers?.stop();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('samples plus device windows over a socat pty pair', () => {
  it('stores exactly the W windows the board sent, over two sessions, and no sample energy on top', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    const devicePath = join(dir, 'device');
    const readerPath = join(dir, 'ttyACM-sw');
    pair = await createPtyPair(devicePath, readerPath);
    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [readerPath],
        autoDiscover: false,
        baudRate: 115_200,
        windowS: 1,
        seqStart: storeSeqStart(store),
        backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 'equal' },
      },
      ingest,
      health,
    );
    const status = (): SourceStatus => health.snapshot().find((s) => s.name === `serial:${readerPath}`)!;
    await waitFor('the reader to open the pty', () => status().state === 'connected');

    const simulator = new SerialSimulator(PROFILE);
    await simulator.run({ path: devicePath, baudRate: 115_200, durationUs: SEGMENT_US, isRealTime: false });
    await waitFor('segment 1 to be read', () => status().counters['lines'] === simulator.generator.counters.lines);
    await pair.close(); // unplug
    pair = null;
    await waitFor('the reader to notice the unplug', () => status().state !== 'connected');
    pair = await createPtyPair(devicePath, readerPath); // replug
    await waitFor('the reader to reconnect', () => status().state === 'connected' && status().counters['sessions'] === 2);
    await simulator.run({ path: devicePath, baudRate: 115_200, durationUs: SEGMENT_US, isRealTime: false });
    const sent = simulator.generator.counters;
    await waitFor('segment 2 to be read', () => status().counters['lines'] === sent.lines);
    await readers.stop();
    readers = null;

    const aggregate = await store.getAggregate(PROFILE.deviceId);
    const final = status();
    expect(sent.deviceWindowsSent).toBe(6);
    expect(final.rejected).toEqual({});
    expect(aggregate!.windows).toBe(sent.deviceWindowsSent);
    expect(Math.abs(aggregate!.energyJ * 1e6 - sent.sentWindowEnergyUj)).toBeLessThan(1e-6);
    expect(aggregate!.inferences).toBe(sent.sentWindowInferences);
    expect(aggregate!.observedS).toBeCloseTo(30, 6); // 6 × 5 s; the last 2 s after the last W are not energy
    expect(final.counters['sampleWindowsSuperseded']).toBeGreaterThan(0);
    expect(ingest.counters.windowsDuplicate).toBe(0);
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ final, aggregate, sent }));
    await store.close();
  });
});
