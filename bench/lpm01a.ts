/**
 * LPM01A stream decoding in samples/s, ASCII (`ascii_dec`) and binary (`bin_hexa`), against a bare loop over the same
 * bytes in the same run (ASCII: counting newlines; binary: summing the 16-bit words). The instrument sends at most
 * 5 kS/s in ASCII and 100 kS/s in binary (UM2269 Table 2), so the figures to read are the multiples of those.
 * Also the decoder feeding the SampleTimeline (integration, windows, live power), what the driver runs per sample.
 * Run alone: `npx tsx bench/lpm01a.ts`.
 */
import { pathToFileURL } from 'node:url';
import { SampleTimeline } from '../src/ingest/integrate/sample-timeline.js';
import { Lpm01aDecoder } from '../src/ingest/serial/drivers/lpm01a/lpm01a-decoder.js';
import { encodeAscii, encodeBinary } from '../src/sim/lpm01a/lpm01a-model.js';

/** 1 M samples: ~9 MB of ASCII, 2 MB binary; ≥ 50 ms per pass. */
const SAMPLE_COUNT = 1_000_000;
/** 64 KiB: serialport's default read highWaterMark, the largest chunk a real port delivers. */
const CHUNK_BYTES = 64 * 1024;
const PASSES = 5;
const ASCII_INSTRUMENT_MAX_HZ = 5_000;
const BINARY_INSTRUMENT_MAX_HZ = 100_000;

function chunked(all: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) chunks.push(all.subarray(offset, offset + CHUNK_BYTES));
  return chunks;
}

/** A 1 kHz energy stream: 1.2 mA idle with 18.6 mA bursts at 3.3 V, a TimeStamp (then a NUL) every 1000 samples. */
function asciiInput(): Buffer[] {
  const parts: Buffer[] = [Buffer.from('\r\nPowerShield > ack start\r\n\r\n', 'latin1')];
  for (let i = 0; i < SAMPLE_COUNT; i += 1) {
    const currentA = i % 100 < 20 ? 0.0186 : 0.0012;
    parts.push(encodeAscii(currentA * 3.3 * 1e-3).bytes);
    if ((i + 1) % 1000 === 0)
      parts.push(Buffer.from(`TimeStamp: ${String(Math.floor((i + 1) / 1000) % 1000).padStart(3, '0')}s 000ms, buff 00%\r\n\0`, 'latin1'));
  }
  return chunked(Buffer.concat(parts));
}

function binaryInput(): Buffer[] {
  const parts: Buffer[] = [Buffer.from('\r\nPowerShield > ack start\r\n\r\n', 'latin1')];
  for (let i = 0; i < SAMPLE_COUNT; i += 1) {
    parts.push(encodeBinary(i % 100 < 20 ? 0.0186 : 0.0012).bytes);
    if ((i + 1) % 1000 === 0) parts.push(Buffer.from([0xf0, 0xf3, 0, 0, 0, (i / 1000) & 0xff, 0, 0xff, 0xff]));
  }
  return chunked(Buffer.concat(parts));
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function bareNewlines(chunks: Buffer[]): number {
  const started = process.hrtime.bigint();
  let lines = 0;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i += 1) if (chunk[i] === 0x0a) lines += 1;
  const s = seconds(started);
  if (lines < SAMPLE_COUNT) throw new Error(`bare loop counted ${lines} lines`);
  return s;
}

function bareWords(chunks: Buffer[]): number {
  const started = process.hrtime.bigint();
  let sum = 0;
  for (const chunk of chunks) for (let i = 0; i + 1 < chunk.length; i += 2) sum += (chunk[i]! << 8) | chunk[i + 1]!;
  const s = seconds(started);
  if (sum === 0) throw new Error('bare loop read nothing');
  return s;
}

function decodeOnly(chunks: Buffer[], binary: boolean): number {
  let samples = 0;
  const decoder = new Lpm01aDecoder({ sample: () => void (samples += 1), message: () => undefined });
  decoder.binaryAfterStart = binary;
  const started = process.hrtime.bigint();
  for (const chunk of chunks) decoder.push(chunk);
  const s = seconds(started);
  if (samples !== SAMPLE_COUNT) throw new Error(`decoded ${samples} samples, expected ${SAMPLE_COUNT}`);
  return s;
}

function decodeAndIntegrate(chunks: Buffer[], binary: boolean): number {
  const timeline = new SampleTimeline({ source: 'bench', integrator: { windowUs: 10_000_000, maxGapUs: 2_500 }, deviceId: 'bench', power: () => undefined });
  let index = 0;
  let windows = 0;
  const decoder = new Lpm01aDecoder({
    sample: (value) => {
      timeline.push((index * 1000) % 2 ** 32, binary ? value * 3.3e6 : value * 1e9, 0);
      index += 1;
    },
    message: () => undefined,
  });
  decoder.binaryAfterStart = binary;
  const started = process.hrtime.bigint();
  for (const chunk of chunks) {
    decoder.push(chunk);
    windows += timeline.takeWindows().length;
  }
  const s = seconds(started);
  if (index !== SAMPLE_COUNT || windows === 0) throw new Error(`integrated ${index} samples in ${windows} windows`);
  return s;
}

function best(run: () => number): number {
  run(); // warm-up: JIT
  let bestS = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < PASSES; pass += 1) bestS = Math.min(bestS, run());
  return bestS;
}

const mps = (s: number): string => `${(SAMPLE_COUNT / s / 1e6).toFixed(2)} M samples/s`;

export async function runLpm01aBench(): Promise<void> {
  const ascii = asciiInput();
  const binary = binaryInput();
  const asciiBytes = ascii.reduce((n, c) => n + c.length, 0);
  const binaryBytes = binary.reduce((n, c) => n + c.length, 0);
  process.stdout.write(
    `input: ${SAMPLE_COUNT} samples each; ASCII ${(asciiBytes / 1e6).toFixed(1)} MB, binary ${(binaryBytes / 1e6).toFixed(1)} MB, chunks of ${CHUNK_BYTES} B\n`,
  );
  const bareAsciiS = best(() => bareNewlines(ascii));
  const asciiS = best(() => decodeOnly(ascii, false));
  const asciiFullS = best(() => decodeAndIntegrate(ascii, false));
  const bareBinaryS = best(() => bareWords(binary));
  const binaryS = best(() => decodeOnly(binary, true));
  const binaryFullS = best(() => decodeAndIntegrate(binary, true));
  process.stdout.write(
    [
      `ascii   bare loop over the bytes (count newlines):  ${mps(bareAsciiS)} (${(bareAsciiS * 1e3).toFixed(0)} ms)`,
      `        Lpm01aDecoder:                              ${mps(asciiS)} (${(asciiS * 1e3).toFixed(0)} ms; ×${(asciiS / bareAsciiS).toFixed(1)} the bare loop's time; ` +
        `${Math.round(SAMPLE_COUNT / asciiS / ASCII_INSTRUMENT_MAX_HZ)}× the instrument's 5 kS/s)`,
      `        decoder + SampleTimeline:                   ${mps(asciiFullS)} (${(asciiFullS * 1e3).toFixed(0)} ms)`,
      `binary  bare loop over the bytes (sum words):       ${mps(bareBinaryS)} (${(bareBinaryS * 1e3).toFixed(0)} ms)`,
      `        Lpm01aDecoder:                              ${mps(binaryS)} (${(binaryS * 1e3).toFixed(0)} ms; ×${(binaryS / bareBinaryS).toFixed(1)} the bare loop's time; ` +
        `${Math.round(SAMPLE_COUNT / binaryS / BINARY_INSTRUMENT_MAX_HZ)}× the instrument's 100 kS/s)`,
      `        decoder + SampleTimeline:                   ${mps(binaryFullS)} (${(binaryFullS * 1e3).toFixed(0)} ms)`,
    ].join('\n') + '\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runLpm01aBench();
}
