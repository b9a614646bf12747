import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/domain/errors.js';
import { importFiles } from '../../../src/ingest/import/import-run.js';
import { IngestService } from '../../../src/ingest/ingest-service.js';
import { LiveBus } from '../../../src/live/live-bus.js';
import { buildCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { deviceFootprint } from '../../../src/service/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { energyRunnerSession } from '../../helpers/energyrunner-session.js';

const NOW = Date.UTC(2026, 11, 1, 12);
const WINDOWS = [11_195.658, 11_201.2, 11_198.4, 13_500, 11_200.203].map((energyPerInferenceUJ) => ({
  inferences: 160,
  energyPerInferenceUJ,
  inferenceSamples: 70,
}));

let store: SqliteStore;
let ingest: IngestService;
beforeEach(() => {
  store = SqliteStore.open(':memory:');
  ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC, () => NOW);
});
afterEach(async () => {
  await store.close();
});

describe('an import becomes windows of a device, exactly once', () => {
  const session = energyRunnerSession({ windows: WINDOWS });
  const files = session.files.filter((file) => file.name !== 'results.txt');

  it('stores the inference windows once; importing the same files again changes nothing', async () => {
    const first = await importFiles(ingest, { deviceId: 'h7a3', files, folderName: '20250612_122741' }, NOW);
    expect(first.summary).toMatchObject({
      deviceId: 'h7a3',
      format: 'energyrunner-trace',
      instrument: 'lpm01a',
      windows: 5,
      inserted: 5,
      duplicates: 0,
      inferences: 800,
    });
    expect(first.summary.startMs).toBe(Date.UTC(2025, 5, 12, 12, 27, 41));
    const aggregate = await store.getAggregate('h7a3');
    expect(aggregate).toMatchObject({ windows: 5, inferences: 800, inferenceSpanWindows: 5, instruments: ['lpm01a'] });
    // Again, even placed elsewhere in time (no folder name): the seqs come from the content, the starts are ours.
    const again = await importFiles(ingest, { deviceId: 'h7a3', files }, NOW + 60_000);
    expect(again.summary).toMatchObject({ inserted: 0, duplicates: 5 });
    expect(await store.getAggregate('h7a3')).toEqual(aggregate);
    // Another session is other windows.
    const other = energyRunnerSession({ windows: WINDOWS.slice(0, 2), seed: 7 });
    const third = await importFiles(ingest, { deviceId: 'h7a3', files: other.files.filter((f) => f.name !== 'results.txt') }, NOW);
    expect(third.summary).toMatchObject({ inserted: 2, duplicates: 0 });
  });

  it('the device footprint gives the MLPerf median, its instrument accuracy and SCI per inference', async () => {
    await importFiles(ingest, { deviceId: 'h7a3', files }, NOW);
    const device = (await store.getDevice('h7a3'))!;
    const aggregate = await store.getAggregate('h7a3');
    const spans = await store.listInferenceSpans('h7a3', 1000);
    const result = deviceFootprint(buildCatalogue(), device, aggregate, NOW, 60_000, undefined, spans);
    expect(result.perInference!.energy.basis).toBe('per-window-median');
    expect(Math.abs((result.perInference!.energy.energyPerInferenceJ * 1e6) / session.medianUJ - 1)).toBeLessThan(1e-3);
    // In the order measured.
    expect(result.perInference!.energy.perWindowJ.map((j) => j * 1e6)).toEqual(session.perWindowUJ.map((uj) => expect.closeTo(uj, 2)));
    expect(result.powerUncertainty!.instrument).toMatchObject({ ids: ['lpm01a'], relativeAccuracy: 0.02, coveredShare: 1 });
    expect(result.powerUncertainty!.combinedRelative).not.toBeNull();
    expect(result.perInference!.sci!.E.basis).toBe('per-window-median');
    expect(result.perInference!.sci!.kgCO2ePerInference).toBeGreaterThan(result.perInference!.sci!.operationalKgCO2ePerInference);
  });

  it('stores nothing of a truncated import, and refuses a bad device id', async () => {
    const bin = files.find((file) => file.name === 'trace1-energy.bin')!.bytes;
    const cut = files.map((file) => (file.name === 'trace1-energy.bin' ? { name: file.name, bytes: bin.subarray(0, bin.length - 4000) } : file));
    await expect(importFiles(ingest, { deviceId: 'h7a3', files: cut }, NOW)).rejects.toThrow(/truncated/);
    expect(await store.getDevice('h7a3')).toBeUndefined();
    await expect(importFiles(ingest, { deviceId: 'no spaces', files }, NOW)).rejects.toBeInstanceOf(ValidationError);
  });
});
