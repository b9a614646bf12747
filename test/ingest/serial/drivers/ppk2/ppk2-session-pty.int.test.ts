/**
 * The PPK2 session against the simulated kit over a real socat pty, at the kit's 100 kS/s: the start sequence, the
 * stream, the stop. Measured average power and µJ per inference against the simulator's truth (what it wrote).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePpk2Metadata } from '../../../../../src/ingest/serial/drivers/ppk2/metadata.js';
import { Ppk2Session } from '../../../../../src/ingest/serial/drivers/ppk2/ppk2-session.js';
import { PPK2_DEFAULT_SETTINGS } from '../../../../../src/ingest/serial/drivers/ppk2/settings.js';
import type { WindowDraft } from '../../../../../src/ingest/window-sink.js';
import { DEFAULT_PPK2_PROFILE } from '../../../../../src/sim/ppk2/current-profile.js';
import { Ppk2Simulator } from '../../../../../src/sim/ppk2/ppk2-simulator.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../../../src/sim/serial/pty-pair.js';
import { waitFor } from '../../../../helpers/wait-for.js';
import { PPK2RS_METADATA } from './vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'tmf-ppk2-session-'));
let pair: PtyPair | null = null;
const abort = new AbortController();
afterAll(async () => {
  abort.abort();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

describe('Ppk2Session over a socat pty with the simulated kit', () => {
  it('measures average power and µJ/inference within 0.5 % of the truth', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    pair = await createPtyPair(join(dir, 'kit'), join(dir, 'ttyACM-ppk2'));
    const simulator = new Ppk2Simulator({ profile: DEFAULT_PPK2_PROFILE, modifiers: parsePpk2Metadata(PPK2RS_METADATA).modifiers });
    const served = simulator.serve(pair.devicePath, abort.signal);
    const port = new SerialPort({ path: pair.readerPath, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const windows: WindowDraft[] = [];
    const session = new Ppk2Session({
      source: `serial:${pair.readerPath}`,
      path: pair.readerPath,
      settings: { ...PPK2_DEFAULT_SETTINGS, voltageMv: 3000 },
      fixedDeviceId: 'kws-board',
      integrator: { windowUs: 1_000_000, maxGapUs: 1_000_000 },
      nowMs: () => Date.now(),
      previousWindowEnd: null,
      write: (data) => port.write(Buffer.from(data)),
      fail: (message) => {
        throw new Error(message);
      },
      device: () => undefined,
      windows: (drafts) => windows.push(...drafts),
      power: () => undefined,
    });
    port.on('data', (chunk: Buffer) => session.data(chunk));
    await session.start();
    await waitFor('3 s of stream', () => simulator.truth.samplesWritten >= 300_000, { timeoutMs: 30_000 });
    await session.stop();
    await waitFor('the kit to stop', () => !simulator.streaming);
    await waitFor('every written sample decoded', () => session.counters['samples'] === simulator.truth.samplesWritten);
    await session.end();
    port.close();
    abort.abort();
    await served;

    const truth = simulator.truth;
    expect(truth.commands).toMatchObject({ averageStop: 2, getMetadata: 1, setPowerMode: 1, regulatorSet: 1, deviceRunningSet: 1, averageStart: 1 });
    // Every loss the 6-bit counter can show is counted (a stall of k·64 samples cannot be: see counterVisibleLost).
    expect(session.counters['lostSamples']).toBe(truth.counterVisibleLost);
    const energyJ = windows.reduce((sum, w) => sum + w.energyJ, 0);
    const coveredS = windows.reduce((sum, w) => sum + w.durationS, 0);
    const truthPowerW = truth.energyJ / (truth.samplesWritten * 1e-5);
    expect(Math.abs(energyJ / coveredS - truthPowerW) / truthPowerW).toBeLessThan(0.005);
    const marked = windows.filter((w) => w.betweenMarkers === true && w.inferenceCount > 0);
    expect(marked.length).toBeGreaterThanOrEqual(truth.periodEnergyJ.length - 1);
    const measuredUjPerInference = median(marked.map((w) => (w.energyJ / w.inferenceCount) * 1e6));
    const truthUjPerInference = median(truth.periodEnergyJ) * 1e6;
    expect(Math.abs(measuredUjPerInference - truthUjPerInference) / truthUjPerInference).toBeLessThan(0.005);
    expect(windows.reduce((sum, w) => sum + w.inferenceCount, 0)).toBe(truth.bursts);
    if (process.env.E2E_DEBUG)
      console.log({ truthPowerW, measuredW: energyJ / coveredS, measuredUjPerInference, truthUjPerInference, counters: session.counters });
  });
});
