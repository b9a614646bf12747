/**
 * The CLI as a user runs it: `simulate serial` on a pty (socat required), `measure` reading it, `ports` listing ports.
 * Every comparison is with what the simulator reports it actually sent (its --json line), never with its nominal
 * profile alone: on a busy machine it loses writes (a stalled link), and the receiver must account for exactly those.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { GeneratorCounters } from '../../src/sim/serial/line-generator.js';
import { DEFAULT_PROFILE, expectedAveragePowerUw } from '../../src/sim/serial/power-profile.js';
import { createPtyPair } from '../../src/sim/serial/pty-pair.js';
import type { PtyPair } from '../../src/sim/serial/pty-pair.js';
import type { StallSpan } from '../../src/sim/serial/serial-simulator.js';
import { computeFootprint } from '../../src/model/footprint.js';
import { formatEvent } from '../../src/protocol/line-format.js';
import { footprintInputFromSpec } from '../../src/service/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { killGroup, runCliSync, signalGroup, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import type { CliRun } from '../helpers/cli.js';

/** What `simulate serial --json` prints at exit. */
interface SentReport extends GeneratorCounters {
  droppedWrites: number;
  droppedSamples: number;
  stallCount: number;
  stalls: StallSpan[];
}

interface MeasureSummary {
  startedAtMs: number;
  averagePowerW: number;
  deviceId: string;
  energyJ: number;
  samples: number;
  windows: number;
  coveredS: number;
  coverage: number;
  gaps: number;
  lostS: number;
  lostBeforeReadingS: number;
  rejected: Record<string, number>;
  lifetimeKgCO2e: number;
  lifetimeKgCO2eAssumed: number;
}

/** 2 ms bursts at 25 % duty: an 8 ms period, so a few seconds hold hundreds of whole periods. */
const PROFILE_FLAGS = ['--burst-ms', '2', '--duty', '0.25'];
/** Generous bounds for a loaded CI machine: each wait ends as soon as its condition holds. */
const START_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'tmf-cli-'));
let runs: CliRun[] = [];
let pair: PtyPair | null = null;
afterEach(async () => {
  await Promise.all(runs.map((run) => killGroup(run)));
  runs = [];
  await pair?.close();
  pair = null;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: readonly string[]): CliRun {
  const run = startCli(args, { detached: true });
  runs.push(run);
  return run;
}

function lastJsonLine<T>(text: string): T {
  const line = text.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}

function wideLines(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- ESC [2K is the erase-line sequence the live readout writes
  return text.split('\n').filter((line) => [...line.replace(/\r?\x1b\[2K/g, '')].length > 80);
}

describe('serial CLI', () => {
  it('measure reads exactly what simulate serial sent, lost writes included (gaps, not energy), and prints a JSON summary', async () => {
    pair = await createPtyPair(join(dir, 'device-a'), join(dir, 'ttyTMF-a'));
    const measure = cli(['measure', pair.readerPath, '--duration', '10m', '--json']);
    await waitFor('measure to wait for data', () => /waiting for data on /.test(measure.err()), { timeoutMs: START_MS });
    // A line before any hello: kept for the hello, shown as such, not an error.
    writeFileSync(pair.devicePath, `${formatEvent(0, 'begin', 0)}\r\n`);
    await waitFor('measure to show it has no hello yet', () => /no hello yet: 1 line kept {2}err 0/.test(measure.err()), { timeoutMs: START_MS });

    // --drop-rate: one write in ten never reaches the port, like lines a slow host lost. The old max_gap (1 s) bridged
    // those 100 ms holes with a trapezoid between their edge samples.
    const simulator = cli([
      'simulate',
      'serial',
      '--path',
      pair.devicePath,
      '--duration',
      '5s',
      ...PROFILE_FLAGS,
      '--noise-ua',
      '2',
      '--drop-rate',
      '0.1',
      '--json',
    ]);
    expect((await simulator.exited).code, simulator.err()).toBe(0);
    const sent = lastJsonLine<SentReport>(simulator.out());
    await waitFor('measure to see the port go quiet (everything sent has arrived)', () => /no data \d+ s/.test(measure.err()), { timeoutMs: START_MS });
    signalGroup(measure, 'SIGINT');
    expect((await measure.exited).code, measure.err()).toBe(0);
    const summary = JSON.parse(measure.out()) as MeasureSummary;

    expect(sent.droppedWrites).toBeGreaterThan(0);
    expect(summary.deviceId).toBe(DEFAULT_PROFILE.deviceId);
    expect(summary.rejected).toEqual({});
    expect(summary.samples).toBe(sent.samples);
    expect(Math.abs(summary.energyJ * 1e6 - sent.sentEnergyUj)).toBeLessThan(sent.sentEnergyUj * 1e-9);
    expect(summary.coveredS * 1e6).toBeCloseTo(sent.sentCoveredUs, 3);
    expect(summary.averagePowerW).toBeCloseTo(sent.sentEnergyUj / sent.sentCoveredUs, 12);
    expect(summary.gaps).toBeGreaterThan(0);
    expect(summary.lostS).toBeGreaterThan(0);
    // The profile's exact average, loosely: gaps cut a few 8 ms periods at random phases.
    const exactW = expectedAveragePowerUw({ ...DEFAULT_PROFILE, burstUs: 2000, dutyCycle: 0.25 }) / 1e6;
    expect(Math.abs(summary.averagePowerW - exactW) / exactW).toBeLessThan(0.05);
    // The lifetime footprint is the model's for the measured average on the default system (recomputed here).
    const catalogue = buildCatalogue();
    const spec = { ...SEED_DEFAULT_SPEC, system: String(SEED_DEFAULT_SPEC.system) };
    const { averagePowerW: powerW, coveredS: observedS, samples, windows } = summary;
    const measured = computeFootprint(catalogue, footprintInputFromSpec(spec, { kind: 'measured', powerW, observedS, samples, windows }));
    const assumed = computeFootprint(catalogue, footprintInputFromSpec(spec, { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW }));
    expect(summary.lifetimeKgCO2e).toBeCloseTo(measured.totalKgCO2e, 9);
    expect(summary.lifetimeKgCO2eAssumed).toBeCloseTo(assumed.totalKgCO2e, 9);
    expect(Math.abs(summary.lifetimeKgCO2e - summary.lifetimeKgCO2eAssumed)).toBeGreaterThan(1e-6); // 6.6 mW measured vs 1 mW assumed
    expect(measure.err()).toMatch(/avg .* cov /);
  });

  it("measure after the board ran unread: coverage is the measurement's, not the idle time before it", async () => {
    const simulator = cli(['simulate', 'serial', '--duration', '9s', ...PROFILE_FLAGS, '--json']);
    await waitFor('the simulator to print its port', () => /open this port: (\S+)/.test(simulator.out()) || simulator.child.exitCode !== null, {
      timeoutMs: START_MS,
    });
    const port = /open this port: (\S+)/.exec(simulator.out())?.[1];
    expect(port, simulator.err()).toBeDefined();
    // The scenario, not a synchronisation: the board talks for a while with nobody reading (socat and the pty keep
    // some of it; the rest is lost like on a UART with no listener).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const measure = cli(['measure', port!, '--duration', '10m', '--json']);
    expect((await simulator.exited).code, simulator.err()).toBe(0);
    const sent = lastJsonLine<SentReport>(simulator.out());
    await waitFor('measure to see the port vanish', () => /(connecting|backoff)/.test(measure.err().split('\n').at(-2) ?? ''), { timeoutMs: START_MS });
    signalGroup(measure, 'SIGINT');
    expect((await measure.exited).code, measure.err()).toBe(0);
    const summary = JSON.parse(measure.out()) as MeasureSummary;

    // What the simulator lost while measure was reading (a busy machine): the part of each stall after measure started.
    const periodMs = DEFAULT_PROFILE.samplePeriodUs / 1000;
    const lostWhileReading = sent.stalls.filter((stall) => stall.endMs > summary.startedAtMs);
    const expectedLostS = lostWhileReading.reduce((sum, stall) => sum + (stall.endMs + periodMs - Math.max(stall.startMs, summary.startedAtMs)) / 1000, 0);
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ summary, stalls: sent.stalls, expectedLostS }));
    expect(sent.stallCount).toBe(sent.stalls.length);
    expect(summary.lostS).toBeLessThan(expectedLostS + 0.05);
    expect(summary.lostS).toBeGreaterThan(expectedLostS - 0.05 - 0.012 * lostWhileReading.length);
    if (expectedLostS < 0.005 * summary.coveredS) expect(summary.coverage).toBeGreaterThanOrEqual(0.99);
    expect(summary.lostBeforeReadingS).toBeGreaterThan(1); // the ≥ 2 s the board ran unread, read as a backlog then a jump
    expect(summary.rejected).toEqual({});
  });

  it('every line measure prints, live readout and closing table, fits 80 columns, with a 64-character device id', async () => {
    const longId = `board-${'x'.repeat(58)}`;
    const simulator = cli(['simulate', 'serial', '--device-id', longId, ...PROFILE_FLAGS]);
    await waitFor('the simulator to print its port', () => /open this port: (\S+)/.test(simulator.out()) || simulator.child.exitCode !== null, {
      timeoutMs: START_MS,
    });
    const port = /open this port: (\S+)/.exec(simulator.out())?.[1];
    expect(port, simulator.err()).toBeDefined();
    const measure = cli(['measure', port!, '--duration', '10m']);
    await waitFor('two readouts with energy', () => (measure.err().match(/ avg /g) ?? []).length >= 2, { timeoutMs: START_MS });
    signalGroup(measure, 'SIGINT');
    expect((await measure.exited).code, measure.err()).toBe(0);
    expect(measure.out()).toMatch(/Stage .* kg CO2e/);
    expect(measure.err()).toContain(longId);
    expect(wideLines(measure.err())).toEqual([]);
    expect(wideLines(measure.out())).toEqual([]);
    // The simulator outlives the reader: it must not block on the undrained pty, and must exit cleanly on SIGTERM.
    signalGroup(simulator, 'SIGTERM');
    expect((await simulator.exited).code).toBe(0);
    expect(simulator.err()).toMatch(/sent \d+ samples/);
  });

  it('measure on a port that does not exist fails at once with exit 2; one that exists but is no serial port keeps retrying', () => {
    const missing = runCliSync(['measure', '/dev/ttyDOESNOTEXIST', '--duration', '10m'], 60_000);
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(/no such port: \/dev\/ttyDOESNOTEXIST/);
    const notSerial = runCliSync(['measure', '/dev/null', '--duration', '2s'], 60_000);
    expect(notSerial.status, notSerial.stderr).toBe(1);
    expect(notSerial.stderr).toMatch(/no energy window received from \/dev\/null/);
    expect(wideLines(notSerial.stderr)).toEqual([]);
  });

  it('ports lists serial ports (or says there are none) and exits 0', () => {
    const result = runCliSync(['ports', '--json'], 30_000);
    expect(result.status, result.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
  });

  it('simulate serial rejects an invalid profile with exit code 2', () => {
    const result = runCliSync(['simulate', 'serial', '--duty', '2', '--path', '/dev/null'], 30_000);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/duty cycle/);
  });
});
