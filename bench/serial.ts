/**
 * Serial path throughput: bytes → lines → parse + validate → integrate, in samples/s, against a baseline measured in
 * the same run on the same bytes: the bare @serialport/parser-readline splitting them into lines.
 * Goal (issue 3): ≥ 1.5 M samples/s on one core. Run alone: `npx tsx bench/serial.ts`.
 */
import { pathToFileURL } from 'node:url';
import { ReadlineParser } from '@serialport/parser-readline';
import { EnergyIntegrator } from '../src/ingest/integrate/energy-integrator.js';
import { LineLengthGuard } from '../src/ingest/serial/line-length-guard.js';
import { LineSession } from '../src/ingest/serial/line-session.js';
import { LineGenerator } from '../src/sim/serial/line-generator.js';
import { DEFAULT_PROFILE } from '../src/sim/serial/power-profile.js';
import { parseLine } from '../src/protocol/line-parser.js';
import { MAX_LINE_BYTES } from '../src/protocol/limits.js';

/** 1 M samples ≈ 30 MB: long enough (≥ 0.3 s per pass) for stable figures, small enough for CI. */
const SAMPLE_COUNT = 1_000_000;
/** 64 KiB: serialport's default read highWaterMark, i.e. the largest chunk a real port delivers. */
const CHUNK_BYTES = 64 * 1024;
/** Best of 5 passes after one warm-up: the least disturbed by GC and the machine. */
const PASSES = 5;
const GOAL_SAMPLES_PER_S = 1_500_000;

interface Input {
  chunks: Buffer[];
  lines: string[];
  lineCount: number;
  sampleCount: number;
  bytes: number;
}

function buildInput(): Input {
  const generator = new LineGenerator({ ...DEFAULT_PROFILE, noiseUa: 25, startUs: 2 ** 32 - 30_000_000, inferenceEvents: true });
  const lines = generator.next(SAMPLE_COUNT);
  const all = Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) chunks.push(all.subarray(offset, offset + CHUNK_BYTES));
  return { chunks, lines, lineCount: lines.length, sampleCount: generator.counters.samples, bytes: all.length };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function baselineReadline(input: Input): Promise<number> {
  const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  let lines = 0;
  parser.on('data', () => {
    lines += 1;
  });
  const started = process.hrtime.bigint();
  for (const chunk of input.chunks) parser.write(chunk);
  await nextTurn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (lines !== input.lineCount) throw new Error(`baseline split ${lines} lines, expected ${input.lineCount}`);
  return seconds;
}

/** What PortSupervisor runs per session: guard → ReadlineParser → LineSession (parse, validate, integrate). */
async function fullPath(input: Input): Promise<number> {
  const guard = new LineLengthGuard(MAX_LINE_BYTES);
  const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  let windows = 0;
  const session = new LineSession(
    { source: 'bench', integrator: { windowUs: 10_000_000, maxGapUs: 1_000_000 }, fixedDeviceId: null, nowMs: () => 0 },
    { device: () => undefined, windows: (w) => void (windows += w.length), power: () => undefined },
  );
  parser.on('data', (line: string) => session.handleLine(line));
  guard.pipe(parser);
  const started = process.hrtime.bigint();
  for (const chunk of input.chunks) guard.write(chunk);
  await nextTurn();
  session.end();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = session.counters;
  if (c.samples !== input.sampleCount || c.lines !== input.lineCount || Object.keys(session.rejected).length > 0 || windows === 0) {
    throw new Error(`full path saw ${c.samples} samples / ${c.lines} lines (rejected ${JSON.stringify(session.rejected)})`);
  }
  return seconds;
}

/** Parse + validate + integrate only, from lines already split: the share of the path that is ours. */
function parseAndIntegrate(input: Input): number {
  const integrator = new EnergyIntegrator();
  let samples = 0;
  const started = process.hrtime.bigint();
  for (const line of input.lines) {
    const message = parseLine(line);
    if (message.type === 'sample') {
      integrator.push(message.tUs, message.powerUw, 0);
      samples += 1;
      if (integrator.pendingWindows > 0) integrator.takeWindows();
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (samples !== input.sampleCount) throw new Error(`parsed ${samples} samples, expected ${input.sampleCount}`);
  return seconds;
}

async function best(run: () => Promise<number> | number): Promise<number> {
  await run(); // warm-up: JIT
  let bestSeconds = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < PASSES; pass += 1) bestSeconds = Math.min(bestSeconds, await run());
  return bestSeconds;
}

function rate(count: number, seconds: number): string {
  return `${(count / seconds / 1e6).toFixed(2)} M/s`;
}

export async function runSerialBench(): Promise<void> {
  const input = buildInput();
  process.stdout.write(
    `input: ${input.sampleCount} samples, ${input.lineCount} lines, ${(input.bytes / 1e6).toFixed(1)} MB in ${input.chunks.length} chunks of ${CHUNK_BYTES} B\n`,
  );
  const baselineS = await best(() => baselineReadline(input));
  const fullS = await best(() => fullPath(input));
  const oursS = await best(() => parseAndIntegrate(input));
  const fullRate = input.sampleCount / fullS;
  process.stdout.write(
    [
      `baseline  bare ReadlineParser split:                      ${rate(input.lineCount, baselineS)} lines  (${(baselineS * 1e3).toFixed(0)} ms)`,
      `serial    guard + ReadlineParser + parse + integrate:     ${rate(input.sampleCount, fullS)} samples (${(fullS * 1e3).toFixed(0)} ms)`,
      `          parse + validate + integrate alone (pre-split): ${rate(input.sampleCount, oursS)} samples (${(oursS * 1e3).toFixed(0)} ms)`,
      `ratio     full path / baseline: ${(baselineS / fullS).toFixed(2)} (time ×${(fullS / baselineS).toFixed(2)}); ` +
        `goal ≥ ${GOAL_SAMPLES_PER_S / 1e6} M samples/s: ${fullRate >= GOAL_SAMPLES_PER_S ? 'met' : 'NOT met'}`,
    ].join('\n') + '\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSerialBench();
}
