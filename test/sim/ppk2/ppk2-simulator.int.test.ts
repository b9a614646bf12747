/**
 * The PPK2 simulator over a real socat pty, driven by raw bytes as a host would (no driver): it answers GetMetadata
 * with a block the parser accepts, streams 4-byte words at 100 kS/s after AverageStart, stops on AverageStop, and the
 * decoder reads every sample it wrote (the counter proves none was lost on the way) with exactly its truth's energy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { Ppk2Calibration } from '../../../src/ingest/serial/drivers/ppk2/calibration.js';
import { MetadataCollector, parsePpk2Metadata, type Ppk2Metadata } from '../../../src/ingest/serial/drivers/ppk2/metadata.js';
import * as cmd from '../../../src/ingest/serial/drivers/ppk2/protocol.js';
import { Ppk2SampleDecoder } from '../../../src/ingest/serial/drivers/ppk2/sample-decoder.js';
import { DEFAULT_PPK2_PROFILE } from '../../../src/sim/ppk2/current-profile.js';
import { Ppk2Simulator } from '../../../src/sim/ppk2/ppk2-simulator.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../src/sim/serial/pty-pair.js';
import { PPK2RS_METADATA } from '../../ingest/serial/drivers/ppk2/vectors.js';
import { waitFor } from '../../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'tmf-ppk2-sim-'));
let pair: PtyPair | null = null;
const abort = new AbortController();
afterAll(async () => {
  abort.abort();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PPK2 simulator over a socat pty', () => {
  it('speaks the protocol byte for byte and the decoder keeps up with 100 kS/s, nothing lost', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    pair = await createPtyPair(join(dir, 'kit'), join(dir, 'ttyACM-ppk2'));
    const kit = parsePpk2Metadata(PPK2RS_METADATA);
    const simulator = new Ppk2Simulator({ profile: DEFAULT_PPK2_PROFILE, modifiers: kit.modifiers, dropEverySamples: 50_000, dropSamples: 7 });
    const served = simulator.serve(pair.devicePath, abort.signal);

    const host = new SerialPort({ path: pair.readerPath, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => host.open((error) => (error ? reject(error) : resolve())));
    const collector = new MetadataCollector();
    let metadata: Ppk2Metadata | null = null;
    let decoder: Ppk2SampleDecoder | null = null;
    let energyJ = 0;
    let samples = 0;
    let bytes = 0;
    host.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (metadata === null) {
        const done = collector.push(chunk);
        if (done === null) return;
        metadata = done.metadata;
        return;
      }
      const batch = decoder!.decode(chunk);
      for (let k = 0; k < batch.count; k += 1) energyJ += batch.currentA[k]! * 3.3 * 1e-5;
      samples += batch.count;
    });
    host.write(cmd.getMetadataCommand());
    await waitFor('the metadata block', () => metadata !== null);
    expect(metadata!.modifiers).toEqual(kit.modifiers);
    expect(metadata!.vddMv).toBe(3000);
    expect(metadata!.mode).toBe('source');
    decoder = new Ppk2SampleDecoder(Ppk2Calibration.fromMetadata(metadata!, 3300), { spikeFilter: false });

    host.write(Buffer.concat([cmd.setPowerModeCommand('source'), cmd.regulatorSetCommand(3300), cmd.deviceRunningCommand(true), cmd.averageStartCommand()]));
    await waitFor('2 s of stream', () => simulator.truth.samplesWritten >= 200_000, { timeoutMs: 20_000 });
    host.write(cmd.averageStopCommand());
    await waitFor('the stream to stop', () => !simulator.streaming);
    const truth = simulator.truth;
    await waitFor('every written sample decoded', () => samples === truth.samplesWritten);
    expect(truth.commands).toMatchObject({ getMetadata: 1, setPowerMode: 1, regulatorSet: 1, deviceRunningSet: 1, averageStart: 1, averageStop: 1 });
    expect(truth.unknownBytes).toBe(0);
    expect(bytes).toBe(PPK2RS_METADATA.length - 'VDD: 3741'.length + 'VDD: 3000'.length + truth.samplesWritten * 4);
    // Every loss the counter can show is counted: the ones made on purpose, and samples the kit could not hand over
    // while the host was not reading (a busy machine; 0 on an idle one), each run mod 64.
    expect(truth.samplesDropped).toBeGreaterThan(0);
    expect(decoder.stats.lostSamples).toBe(truth.counterVisibleLost);
    if (truth.samplesStalled === 0) expect(decoder.stats.lostSamples).toBe(truth.samplesDropped);
    if (truth.samplesStalled === 0) expect(decoder.stats.gaps).toBe(truth.samplesDropped / 7);
    if (process.env.E2E_DEBUG) console.log(JSON.stringify({ truth: { ...truth, periodEnergyJ: truth.periodEnergyJ.length }, stats: decoder.stats }));
    expect(Math.abs(energyJ - truth.energyJ)).toBeLessThan(truth.energyJ * 1e-9);
    host.close();
    abort.abort();
    await served;
  });
});
