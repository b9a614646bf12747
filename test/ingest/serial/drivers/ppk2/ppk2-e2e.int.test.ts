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
import { Ppk2Simulator, PPK2_SIM_MAX_BATCH_SAMPLES, PPK2_SIM_MAX_PENDING_BYTES } from '../../../../../src/sim/ppk2/ppk2-simulator.js';
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

/**
 * What a cut can discard between the simulator and the reader, samples (4 bytes each): the simulator's write queue (it
 * stops writing above PPK2_SIM_MAX_PENDING_BYTES, plus one batch), two ptys, each with Linux's tty flip buffer limit
 * (64 KiB, TTYB_DEFAULT_MEM_LIMIT) and n_tty read buffer (4 KiB, N_TTY_BUF_SIZE), and socat's transfer buffer (8 KiB,
 * its default -b).
 */
const CUT_UNREAD_SAMPLES_MAX = (PPK2_SIM_MAX_PENDING_BYTES + PPK2_SIM_MAX_BATCH_SAMPLES * 4 + (2 * (64 + 4) + 8) * 1024) / 4;

type Loss = { atSample: number; lost: number };
const sumLost = (losses: Loss[]): number => losses.reduce((sum, loss) => sum + loss.lost, 0);

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
    // The cut ends the first session once: seen as the port's close (a disconnect) or, when that close does not come in
    // time (a saturated machine: the read of the torn-down pty stays pending), by the silence watchdog. Never as a
    // protocol failure.
    const seenAs = `how the cut was seen: ${JSON.stringify({ lastError: final.lastError, counters: final.counters })}`;
    expect(final.counters['disconnects']! + final.counters['silenceTimeouts']!, seenAs).toBe(1);
    expect(final.counters, seenAs).toMatchObject({ sessions: 2, protocolFailures: 0 });
    expect(final.rejected).toEqual({});
    // What the host read is what was written except what sat in the write queue, the ptys and socat at the cut
    // (discarded with them) and at the stop; counter gaps are the only other loss.
    const received = final.counters['samples']!;
    expect(received).toBeLessThanOrEqual(truth.samplesWritten);
    expect(truth.samplesWritten - received).toBeLessThanOrEqual(2 * CUT_UNREAD_SAMPLES_MAX);
    // Samples the kit could not hand over while a busy host did not read: the counter shows each run mod 64, at the
    // next sample written, which the host sees unless the cut discarded it.
    const [firstLosses, secondLosses] = truth.streamVisibleLosses as [Loss[], Loss[]];
    const readInSecondSession = received - readInFirstSession;
    const visibleToHost =
      sumLost(firstLosses.filter((loss) => loss.atSample < readInFirstSession)) + sumLost(secondLosses.filter((loss) => loss.atSample < readInSecondSession));
    expect(final.counters['lostSamples']).toBe(visibleToHost);

    const aggregate = (await store.getAggregate('kws-ppk2'))!;
    expect(aggregate.windows).toBe(ingest.counters.windowsInserted);
    expect(ingest.counters.windowsDuplicate).toBe(0);
    const measuredW = aggregate.energyJ / aggregate.observedS;
    // The truth of what the host read: the first stream up to the cut, the second up to the graceful stop (it reads
    // until the kit has been quiet for PPK2_FLUSH_QUIET_MS; on a saturated machine socat can stall longer than that,
    // and the few samples still in flight are closed with the port).
    const [first, second] = truth.streamSampleEnergyJ as [number[], number[]];
    expect(truth.streamSampleEnergyJ).toHaveLength(2);
    expect(readInSecondSession).toBeLessThanOrEqual(second.length);
    expect(second.length - readInSecondSession).toBeLessThanOrEqual(CUT_UNREAD_SAMPLES_MAX);
    const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
    const readJ = sum(first.slice(0, readInFirstSession)) + sum(second.slice(0, readInSecondSession));
    const truthW = readJ / (received * 1e-5);
    expect(Math.abs(measuredW - truthW) / truthW).toBeLessThan(0.005);
    const windows = await store.listWindows('kws-ppk2', 10_000);
    const perInference = windows.filter((w) => w.inferenceCount === 1).map((w) => (w.energyJ / w.inferenceCount) * 1e6);
    expect(perInference.length).toBeGreaterThan(30);
    const truthUj = median(truth.periodEnergyJ) * 1e6;
    expect(Math.abs(median(perInference) - truthUj) / truthUj).toBeLessThan(0.005);
    // Bursts whose rising edge the host read; a burst cut by the cable or the stop may be counted or not (one each).
    const [firstBursts, secondBursts] = truth.streamBurstStarts as [number[], number[]];
    const burstsRead = firstBursts.filter((n) => n < readInFirstSession).length + secondBursts.filter((n) => n < readInSecondSession).length;
    expect(Math.abs(aggregate.inferences - burstsRead)).toBeLessThanOrEqual(2);
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
