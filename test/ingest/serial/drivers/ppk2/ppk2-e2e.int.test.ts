/**
 * End to end over a real socat pty pair: the simulated PPK2 on one end, startSerialReaders (the port supervisor with
 * the ppk2 driver) on the other, into SqliteStore through IngestService. Mid-acquisition the cable is cut (the pair is
 * torn down) and plugged back at the same path: the supervisor reconnects by itself and the driver runs the start
 * sequence again. Measured average power and µJ/inference against what the simulator wrote, within 0.5 %.
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
import { buildCatalogue } from '../../../../../src/catalogue/load-catalogue.js';
import { deviceFootprint, MAX_INFERENCE_SPANS_FOR_MEDIAN } from '../../../../../src/service/device-footprint.js';
import { DEFAULT_PPK2_PROFILE } from '../../../../../src/sim/ppk2/current-profile.js';
import { PPK2_EXAMPLE_METADATA } from '../../../../../src/sim/ppk2/example-metadata.js';
import { Ppk2Simulator } from '../../../../../src/sim/ppk2/ppk2-simulator.js';
import { parsePpk2Metadata } from '../../../../../src/ingest/serial/drivers/ppk2/metadata.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../../../src/sim/serial/pty-pair.js';
import { SqliteStore } from '../../../../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../../../../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'tmf-ppk2-e2e-'));
let pair: PtyPair | null = null;
let readers: SerialReaders | null = null;
const abort = new AbortController();
afterAll(async () => {
  abort.abort();
  await readers?.stop();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

describe('PPK2 end to end over a socat pty, with a cut cable', () => {
  it('stores the simulated energy within 0.5 %, µJ/inference within 0.5 %, and recovers from the cut by itself', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    const kitPath = join(dir, 'kit');
    const portPath = join(dir, 'ttyACM-ppk2');
    pair = await createPtyPair(kitPath, portPath);
    const simulator = new Ppk2Simulator({
      profile: DEFAULT_PPK2_PROFILE,
      modifiers: parsePpk2Metadata(PPK2_EXAMPLE_METADATA).modifiers,
      keepSampleEnergies: true,
    });
    let served = simulator.serve(kitPath, abort.signal);

    const store = SqliteStore.open(':memory:');
    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [{ path: portPath, driver: 'ppk2', deviceId: 'kws-ppk2', settings: { voltage: '3.0' } }],
        autoDiscover: false,
        baudRate: 115_200,
        windowS: 1,
        seqStart: storeSeqStart(store),
        backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 'equal' },
      },
      ingest,
      health,
    );
    const status = (): SourceStatus => health.snapshot().find((s) => s.name === `serial:${portPath}`)!;
    await waitFor('2 s of stream read', () => (status().counters['samples'] ?? 0) >= 200_000, { timeoutMs: 30_000 });
    expect(simulator.truth.commands).toMatchObject({ getMetadata: 1, setPowerMode: 1, regulatorSet: 1, deviceRunningSet: 1, averageStart: 1 });

    await pair.close(); // the cable is cut mid-acquisition
    pair = null;
    await served;
    await waitFor('the supervisor to see the cut', () => status().state !== 'connected', { timeoutMs: 30_000 });
    await waitFor('the first session retired', () => status().counters['sessions'] === 1 && status().state !== 'connected', { timeoutMs: 30_000 });
    const readInFirstSession = status().counters['samples']!; // what the cut left unread in the pty is lost with it
    const writtenBeforeCut = simulator.truth.samplesWritten;
    pair = await createPtyPair(kitPath, portPath); // plugged back at the same path
    served = simulator.serve(kitPath, abort.signal);
    await waitFor('the supervisor to reconnect and restart the stream by itself', () => status().counters['sessions'] === 2 && simulator.streaming, {
      timeoutMs: 30_000,
    });
    await waitFor('2 s more', () => simulator.truth.samplesWritten >= writtenBeforeCut + 200_000, { timeoutMs: 30_000 });
    await readers.stop(); // graceful: AverageStop, the tail decoded
    await waitFor('the kit to be left stopped', () => !simulator.streaming, { timeoutMs: 5_000 });
    readers = null;
    abort.abort();
    await served;

    const truth = simulator.truth;
    const final = status();
    // Each session: AverageStop (flush), GetMetadata, …, AverageStart. A flush sent before the replugged kit opened its
    // end is lost, as with a kit that powers up late: harmless, the flush only waits for quiet.
    expect(truth.commands).toMatchObject({ getMetadata: 2, averageStart: 2 });
    expect(truth.commands['averageStop']).toBeGreaterThanOrEqual(2);
    expect(final.counters).toMatchObject({ sessions: 2, disconnects: 1, protocolFailures: 0 });
    expect(final.rejected).toEqual({});
    // What the host read is what was written except the few ms unread in the pty at the cut; counter gaps are the only loss.
    const received = final.counters['samples']!;
    expect(received).toBeLessThanOrEqual(truth.samplesWritten);
    expect(truth.samplesWritten - received).toBeLessThan(20_000);
    // Samples the kit could not hand over while a busy host did not read: the counter shows each run mod 64.
    expect(final.counters['lostSamples']).toBe(truth.counterVisibleLost);

    const aggregate = (await store.getAggregate('kws-ppk2'))!;
    expect(aggregate.windows).toBe(ingest.counters.windowsInserted);
    expect(ingest.counters.windowsDuplicate).toBe(0);
    const measuredW = aggregate.energyJ / aggregate.observedS;
    // The truth of what the host read: all of the first stream up to the cut, all of the second.
    const [first, second] = truth.streamSampleEnergyJ as [number[], number[]];
    expect(truth.streamSampleEnergyJ).toHaveLength(2);
    expect(received - readInFirstSession).toBe(second.length);
    const readJ = first.slice(0, readInFirstSession).reduce((a, b) => a + b, 0) + second.reduce((a, b) => a + b, 0);
    const truthW = readJ / (received * 1e-5);
    expect(Math.abs(measuredW - truthW) / truthW).toBeLessThan(0.005);
    const windows = await store.listWindows('kws-ppk2', 10_000);
    const perInference = windows.filter((w) => w.inferenceCount === 1).map((w) => (w.energyJ / w.inferenceCount) * 1e6);
    expect(perInference.length).toBeGreaterThan(30);
    const truthUj = median(truth.periodEnergyJ) * 1e6;
    expect(Math.abs(median(perInference) - truthUj) / truthUj).toBeLessThan(0.005);
    expect(Math.abs(aggregate.inferences - truth.bursts)).toBeLessThanOrEqual(2);
    // Stored as the kit measured them: every window names the instrument. A window runs edge to edge (a whole period,
    // idle included), not MLPerf Tiny's run of inferences alone, so the footprint's per-inference basis says aggregate.
    expect(aggregate.instruments).toEqual(['ppk2']);
    expect(aggregate.instrumentedS).toBeCloseTo(aggregate.observedS, 6);
    expect(aggregate.inferenceSpanWindows).toBe(0);
    const device = (await store.getDevice('kws-ppk2'))!;
    const spans = await store.listInferenceSpans('kws-ppk2', MAX_INFERENCE_SPANS_FOR_MEDIAN);
    const perInferenceFigure = deviceFootprint(buildCatalogue(), device, aggregate, Date.now(), 60_000, undefined, spans).perInference!;
    expect(perInferenceFigure.energy.basis).toBe('aggregate');
    expect(perInferenceFigure.energy.energyPerInferenceJ).toBeCloseTo(aggregate.energyJ / aggregate.inferences, 12);
    if (process.env.E2E_DEBUG)
      console.log({
        measuredW,
        truthW,
        perInference: median(perInference),
        truthUj,
        counters: final.counters,
        truth: { ...truth, periodEnergyJ: truth.periodEnergyJ.length },
      });
    await store.close();
  });
});
