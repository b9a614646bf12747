/**
 * Bad input on a port configured as a PPK2, over real socat ptys through the port supervisor: a TMF1 board (another
 * device), a kit answering garbage metadata. Each session fails with an error naming what a PPK2 sends, is counted and
 * retried with backoff; nothing crashes, no device is announced and no window is stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestService } from '../../../../../src/ingest/ingest-service.js';
import { startSerialReaders, storeSeqStart, type SerialReaders } from '../../../../../src/ingest/serial/index.js';
import { LiveBus } from '../../../../../src/live/live-bus.js';
import { HealthRegistry, type SourceStatus } from '../../../../../src/obs/health-registry.js';
import { SEED_DEFAULT_SPEC } from '../../../../../src/service/spec.js';
import { DEFAULT_PPK2_PROFILE } from '../../../../../src/sim/ppk2/current-profile.js';
import { PPK2_EXAMPLE_METADATA } from '../../../../../src/sim/ppk2/example-metadata.js';
import { Ppk2Simulator } from '../../../../../src/sim/ppk2/ppk2-simulator.js';
import { DEFAULT_PROFILE } from '../../../../../src/sim/serial/power-profile.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../../../src/sim/serial/pty-pair.js';
import { SerialSimulator } from '../../../../../src/sim/serial/serial-simulator.js';
import { SqliteStore } from '../../../../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../../../../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'tmf-ppk2-bad-'));
const pairs: PtyPair[] = [];
let readers: SerialReaders | null = null;
const abort = new AbortController();
afterAll(async () => {
  abort.abort();
  await readers?.stop();
  for (const pair of pairs) await pair.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a PPK2 port with something else on it', () => {
  it('fails each session with what a PPK2 would have sent, stores nothing, and keeps retrying', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    const board = await createPtyPair(join(dir, 'board'), join(dir, 'ttyACM-board'));
    const garbage = await createPtyPair(join(dir, 'garbage'), join(dir, 'ttyACM-garbage'));
    pairs.push(board, garbage);
    const tmf1 = new SerialSimulator({ ...DEFAULT_PROFILE, deviceId: 'not-a-ppk2' });
    const boardRun = tmf1.run({ path: board.devicePath, baudRate: 115_200, isRealTime: true, signal: abort.signal });
    const badKit = new Ppk2Simulator({
      profile: DEFAULT_PPK2_PROFILE,
      metadataText: PPK2_EXAMPLE_METADATA.replace('VDD: 3741', 'VDD: \u0001\u0002'),
    });
    const badKitRun = badKit.serve(garbage.devicePath, abort.signal);

    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [
          { path: board.readerPath, driver: 'ppk2' },
          { path: garbage.readerPath, driver: 'ppk2' },
        ],
        autoDiscover: false,
        baudRate: 115_200,
        seqStart: storeSeqStart(store),
        backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 'equal' },
      },
      ingest,
      health,
    );
    const status = (path: string): SourceStatus => health.snapshot().find((s) => s.name === `serial:${path}`)!;
    await waitFor('two failed sessions on each port', () => [board, garbage].every((p) => (status(p.readerPath).counters['protocolFailures'] ?? 0) >= 2), {
      timeoutMs: 30_000,
    });
    const onBoard = status(board.readerPath);
    expect(onBoard.lastError).toMatch(/^PPK2 expected on .*ttyACM-board: not PPK2 metadata: (line \d+ is "\$TMF1,|byte 0x)/);
    expect(onBoard.lastError).toMatch(/expected `Key: value` lines .* ending in a line END/);
    expect(onBoard.rejected['not_ppk2']).toBeGreaterThanOrEqual(2);
    const onGarbage = status(garbage.readerPath);
    expect(onGarbage.lastError).toMatch(/not PPK2 metadata: byte 0x01 at offset \d+ after ".*VDD: "; expected/);
    expect(badKit.truth.commands['averageStart'] ?? 0).toBe(0); // never started on garbage
    expect(onGarbage.counters['samples']).toBe(0);
    await readers.stop();
    readers = null;
    abort.abort();
    await Promise.all([boardRun, badKitRun]);
    expect(await store.getAggregate('ppk2-ttyACM-board')).toBeUndefined();
    expect(await store.getAggregate('ppk2-ttyACM-garbage')).toBeUndefined();
    expect(ingest.counters.windowsInserted).toBe(0);
    await store.close();
  });
});
