/**
 * A board that says hello before the port is opened, over a real socat pty pair: serialport flushes the input queue
 * when it opens a port, so the hello (and what came with it) is gone, and the lines after it arrive without one. They
 * are kept and replayed when the next periodic hello comes (SPEC §4.1), so what is lost is what the open flushed,
 * never everything up to the next hello. Twice: at the first open, and after an unplug/replug.
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

/** A hello every 5 s of device time: 5000 lines at 1 kHz that would all be rejected before_hello after a lost one. */
const PROFILE: PowerProfile = { ...DEFAULT_PROFILE, deviceId: 'sim-late', helloEveryUs: 5_000_000 };
const SEGMENT_US = 8_000_000;
/** The board counts as blocked on the unread pty once no write has completed for this long. */
const BLOCKED_AFTER_MS = 300;

const dir = mkdtempSync(join(tmpdir(), 'tmf-hello-'));
let pair: PtyPair | null = null;
let readers: SerialReaders | null = null;
afterAll(async () => {
  await readers?.stop();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a hello sent before the port is opened', () => {
  it('loses only what the open flushed: the lines after it are kept until the next hello, at the first open and after a replug', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    const devicePath = join(dir, 'device');
    const readerPath = join(dir, 'ttyACM-late');
    pair = await createPtyPair(devicePath, readerPath);
    const simulator = new SerialSimulator(PROFILE);
    let lastWriteMs = Date.now();
    const onProgress = (): void => {
      lastWriteMs = Date.now();
    };
    const blocked = (): boolean => simulator.generator.counters.lines > 0 && Date.now() - lastWriteMs > BLOCKED_AFTER_MS;

    // The board boots and talks (hello first) while nobody has the port open: socat and the pty hold what it wrote.
    const segment1 = simulator.run({ path: devicePath, baudRate: 115_200, durationUs: SEGMENT_US, isRealTime: false, onProgress });
    await waitFor('the board to block on the unread pty', blocked);

    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [readerPath],
        autoDiscover: false,
        baudRate: 115_200,
        seqStart: storeSeqStart(store),
        silenceTimeoutS: 1,
        // Slow to reconnect after the replug, so the board's hello is written (and then flushed) before the open.
        backoff: { initialMs: 1_500, maxMs: 1_500, factor: 1, jitter: 'equal' },
      },
      ingest,
      health,
    );
    const status = (): SourceStatus => health.snapshot().find((s) => s.name === `serial:${readerPath}`)!;
    await segment1;
    await waitFor('segment 1 read to its end (the silence that follows ends the session)', () => (status().counters['silenceTimeouts'] ?? 0) >= 1);
    const replayedAtFirstOpen = status().counters['preHelloReplayed'] ?? 0;

    await pair.close(); // unplug
    pair = null;
    await waitFor('the reader to notice the unplug', () => status().state !== 'connected');
    pair = await createPtyPair(devicePath, readerPath); // replug: the board says hello at once, before the reader is back
    lastWriteMs = Date.now();
    const segment2 = simulator.run({ path: devicePath, baudRate: 115_200, durationUs: SEGMENT_US, isRealTime: false, onProgress });
    await waitFor('the reader to reopen the port', () => status().state === 'connected' && (status().counters['sessions'] ?? 0) >= 3);
    await segment2;
    const silences = status().counters['silenceTimeouts'] ?? 0;
    await waitFor('segment 2 read to its end', () => (status().counters['silenceTimeouts'] ?? 0) > silences);
    await readers.stop();
    readers = null;

    const final = status();
    const sent = simulator.generator.counters;
    const aggregate = await store.getAggregate(PROFILE.deviceId);
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ final, aggregate, sent, replayedAtFirstOpen }));
    // What is lost is what the two opens flushed (the pty's and socat's buffers: well under a second of lines each),
    // not the 5 s up to the next hello.
    const lostSamples = sent.samples - aggregate!.samples;
    expect(lostSamples).toBeGreaterThan(0);
    expect(lostSamples).toBeLessThan(2 * 1000);
    // Nothing rejected while waiting for a hello; every sample that arrived is stored.
    expect(final.rejected).toEqual({});
    expect(aggregate!.samples).toBe(final.counters['samples']);
    // Both opens really lost the hello: lines came before one, and were kept.
    expect(replayedAtFirstOpen).toBeGreaterThan(0);
    expect(final.counters['preHelloReplayed']).toBeGreaterThan(replayedAtFirstOpen);
    await store.close();
  });
});
