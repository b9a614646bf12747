/**
 * `measure --instrument ppk2` as a user runs it, against the simulated kit on a socat pty: a Ctrl-C ends the
 * measurement gracefully (the kit gets AverageStop and is left stopped), and the summary's average power is the
 * simulator's truth within 0.5 %.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePpk2Metadata } from '../../src/ingest/serial/drivers/ppk2/metadata.js';
import { DEFAULT_PPK2_PROFILE } from '../../src/sim/ppk2/current-profile.js';
import { PPK2_EXAMPLE_METADATA } from '../../src/sim/ppk2/example-metadata.js';
import { Ppk2Simulator } from '../../src/sim/ppk2/ppk2-simulator.js';
import { createPtyPair, type PtyPair } from '../../src/sim/serial/pty-pair.js';
import { killGroup, signalGroup, startCli, type CliRun } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';

const START_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'tmf-ppk2-cli-'));
let measure: CliRun | null = null;
let pair: PtyPair | null = null;
const abort = new AbortController();
afterAll(async () => {
  abort.abort();
  await killGroup(measure);
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('measure --instrument ppk2', () => {
  it('measures the simulated kit within 0.5 % and leaves it stopped on Ctrl-C', async () => {
    pair = await createPtyPair(join(dir, 'kit'), join(dir, 'ttyACM-ppk2'));
    const simulator = new Ppk2Simulator({ profile: DEFAULT_PPK2_PROFILE, modifiers: parsePpk2Metadata(PPK2_EXAMPLE_METADATA).modifiers });
    const served = simulator.serve(pair.devicePath, abort.signal);
    measure = startCli(['measure', pair.readerPath, '--instrument', 'ppk2,voltage=3.0', '--device-id', 'kws-ppk2', '--duration', '10m', '--json'], {
      detached: true,
    });
    await waitFor('the kit to stream', () => simulator.streaming, { timeoutMs: START_MS });
    const startWritten = simulator.truth.samplesWritten;
    await waitFor('3 s of stream', () => simulator.truth.samplesWritten >= startWritten + 300_000, { timeoutMs: START_MS });
    signalGroup(measure, 'SIGINT');
    expect((await measure.exited).code, measure.err()).toBe(0);
    // The kit reads the AverageStop that Ctrl-C wrote (maybe just after measure closed the port: it is in the pty).
    await waitFor('the kit to stop', () => !simulator.streaming, { timeoutMs: 5_000 });
    expect(simulator.truth.commands['averageStop']).toBeGreaterThanOrEqual(2); // the flush before GetMetadata, and Ctrl-C's (resent while words come)
    abort.abort();
    await served;

    const summary = JSON.parse(measure.out().slice(measure.out().indexOf('{'))) as { averagePowerW: number; deviceId: string; samples: number };
    const truth = simulator.truth;
    const truthW = truth.energyJ / (truth.samplesWritten * 1e-5);
    expect(summary.deviceId).toBe('kws-ppk2');
    expect(summary.samples).toBeGreaterThan(300_000);
    if (process.env.E2E_DEBUG) console.log({ summary, truthW });
    expect(Math.abs(summary.averagePowerW - truthW) / truthW).toBeLessThan(0.005);
  });
});
