/**
 * PPK2 decoding throughput: 4-byte words → calibrated currents, logic bytes and counter checks, in samples/s, against a
 * bare loop over the same bytes in the same run (Buffer.readUInt32LE and a sum, nothing decoded).
 * Goal (issue 10): ≥ 20 M samples/s on one core, 200× the kit's 100 kS/s. Run alone: `npx tsx bench/ppk2.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Ppk2Calibration } from '../src/ingest/serial/drivers/ppk2/calibration.js';
import { LogicMarkers } from '../src/ingest/serial/drivers/ppk2/logic-markers.js';
import { parsePpk2Metadata } from '../src/ingest/serial/drivers/ppk2/metadata.js';
import { Ppk2Session } from '../src/ingest/serial/drivers/ppk2/ppk2-session.js';
import { PPK2_DEFAULT_SETTINGS } from '../src/ingest/serial/drivers/ppk2/settings.js';
import { Ppk2SampleDecoder } from '../src/ingest/serial/drivers/ppk2/sample-decoder.js';
import { DEFAULT_PPK2_PROFILE, isBusy, nominalCurrentA } from '../src/sim/ppk2/current-profile.js';
import { mulberry32 } from '../src/util/random.js';
import { Ppk2WordEncoder } from '../src/sim/ppk2/word-encoder.js';
import { PPK2RS_METADATA } from '../test/ingest/serial/drivers/ppk2/vectors.js';

/** 10 M samples (100 s of stream, 40 MB): ≥ 0.3 s per pass at the goal. */
const SAMPLE_COUNT = 10_000_000;
/** 64 KiB: serialport's default read highWaterMark, the largest chunk a real port delivers. */
const CHUNK_BYTES = 64 * 1024;
const PASSES = 5;
const GOAL_SAMPLES_PER_S = 20_000_000;
const VDD_MV = 3300;

function buildInput(): Buffer[] {
  const metadata = parsePpk2Metadata(PPK2RS_METADATA);
  const encoder = new Ppk2WordEncoder(metadata.modifiers, VDD_MV);
  const random = mulberry32(7);
  const bytes = Buffer.alloc(SAMPLE_COUNT * 4);
  for (let n = 0; n < SAMPLE_COUNT; n += 1) {
    const current = nominalCurrentA(DEFAULT_PPK2_PROFILE, n) * (1 + (random() - 0.5) * 0.04);
    bytes.writeUInt32LE(encoder.encode(current, n, isBusy(DEFAULT_PPK2_PROFILE, n) ? 1 : 0).word, n * 4);
  }
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) chunks.push(bytes.subarray(at, at + CHUNK_BYTES));
  return chunks;
}

/** The bare loop: every word read, summed so the loop is not optimised away. */
function baseline(chunks: readonly Buffer[]): number {
  const started = process.hrtime.bigint();
  let sum = 0;
  let words = 0;
  for (const chunk of chunks) {
    for (let at = 0; at + 4 <= chunk.length; at += 4) sum += chunk.readUInt32LE(at);
    words += chunk.length >>> 2;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (words !== SAMPLE_COUNT || sum === 0) throw new Error(`baseline read ${words} words`);
  return seconds;
}

/** What the driver runs per read: decode (calibration, counter check, optional spike filter), the logic edges, a sum of the currents. */
function decode(chunks: readonly Buffer[], spikeFilter: boolean): number {
  const calibration = Ppk2Calibration.fromMetadata(parsePpk2Metadata(PPK2RS_METADATA), VDD_MV);
  const decoder = new Ppk2SampleDecoder(calibration, { spikeFilter });
  const markers = new LogicMarkers(0);
  let charge = 0;
  let rises = 0;
  const started = process.hrtime.bigint();
  for (const chunk of chunks) {
    const batch = decoder.decode(chunk);
    const currents = batch.currentA;
    for (let k = 0; k < batch.count; k += 1) charge += currents[k]!;
    rises += markers.scan(batch.logic, batch.count).rises.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (decoder.stats.samples !== SAMPLE_COUNT || decoder.stats.lostSamples !== 0 || charge <= 0 || rises === 0) {
    throw new Error(`decoded ${decoder.stats.samples} samples, lost ${decoder.stats.lostSamples}, ${rises} rises`);
  }
  return seconds;
}

/**
 * The whole session path after the handshake: decode, markers, and every sample into the SampleTimeline (trapezoid,
 * windows, live power). The integrator's per-sample cost is the bound here; the goal is only the 100 kS/s the kit sends.
 */
async function session(chunks: readonly Buffer[]): Promise<number> {
  let windows = 0;
  const s = new Ppk2Session({
    source: 'bench',
    path: '/dev/ttyBENCH',
    settings: { ...PPK2_DEFAULT_SETTINGS },
    fixedDeviceId: 'bench',
    integrator: { windowUs: 10_000_000, maxGapUs: 1_000_000 },
    nowMs: () => Date.now(),
    previousWindowEnd: null,
    write: (data) => {
      if (data[0] === 0x07) setImmediate(() => s.data(Buffer.alloc(0))); // AverageStop: quiet at once
      if (data[0] === 0x19) setImmediate(() => s.data(Buffer.from(PPK2RS_METADATA)));
      if (data[0] === 0x06) setImmediate(() => s.data(chunks[0]!));
    },
    fail: (message) => {
      throw new Error(message);
    },
    device: () => undefined,
    windows: (drafts) => void (windows += drafts.length),
    power: () => undefined,
  });
  await s.start();
  const started = process.hrtime.bigint();
  for (let k = 1; k < chunks.length; k += 1) s.data(chunks[k]!);
  await s.end();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (s.counters['samples'] !== SAMPLE_COUNT || windows === 0) throw new Error(`session decoded ${s.counters['samples']} samples, ${windows} windows`);
  return seconds * (chunks.length / (chunks.length - 1));
}

function best(run: () => number): number {
  run(); // warm-up: JIT
  let bestSeconds = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < PASSES; pass += 1) bestSeconds = Math.min(bestSeconds, run());
  return bestSeconds;
}

function rate(seconds: number): string {
  return `${(SAMPLE_COUNT / seconds / 1e6).toFixed(1)} M samples/s (${(seconds * 1e3).toFixed(0)} ms)`;
}

export async function runPpk2Bench(): Promise<void> {
  const chunks = buildInput();
  process.stdout.write(`input: ${SAMPLE_COUNT} samples, ${(SAMPLE_COUNT * 4) / 1e6} MB in ${chunks.length} chunks of ${CHUNK_BYTES} B\n`);
  const baselineS = best(() => baseline(chunks));
  const rawS = best(() => decode(chunks, false));
  const filteredS = best(() => decode(chunks, true));
  const slowest = Math.max(rawS, filteredS);
  await session(chunks); // warm-up
  let sessionS = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 2; pass += 1) sessionS = Math.min(sessionS, await session(chunks));
  process.stdout.write(
    [
      `baseline  bare readUInt32LE loop + sum:                 ${rate(baselineS)}`,
      `ppk2      decode + calibrate + counter + logic edges:   ${rate(rawS)}`,
      `          the same with Nordic's spike filter (default): ${rate(filteredS)}`,
      `session   the above + every sample into the SampleTimeline: ${rate(sessionS)} (${(SAMPLE_COUNT / sessionS / 1e5).toFixed(0)}× the kit's rate)`,
      `ratio     decode (filter on) / baseline: time ×${(filteredS / baselineS).toFixed(2)}; ` +
        `goal ≥ ${GOAL_SAMPLES_PER_S / 1e6} M samples/s: ${SAMPLE_COUNT / slowest >= GOAL_SAMPLES_PER_S ? 'met' : 'NOT met'}`,
    ].join('\n') + '\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runPpk2Bench();
}
