import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli } from '../helpers/cli.js';
import { energyRunnerSession } from '../helpers/energyrunner-session.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOWS = [11_195.658, 11_201.2, 11_198.4, 13_500, 11_200.203].map((energyPerInferenceUJ) => ({
  inferences: 160,
  energyPerInferenceUJ,
  inferenceSamples: 70,
}));

describe('tinyml-footprint import', () => {
  const session = energyRunnerSession({ windows: WINDOWS });
  const folder = path.join(dir, '20250612_122741');
  mkdirSync(folder);
  for (const file of session.files.filter((f) => f.name !== 'results.txt')) writeFileSync(path.join(folder, file.name), file.bytes);
  writeFileSync(path.join(folder, 'unrelated.png'), 'not read');
  const storeFile = path.join(dir, 'store.sqlite');

  it('imports an EnergyRunner session folder once and prints µJ/inference (median) and SCI with its terms', async () => {
    const first = await runCli(['import', folder, '--device', 'h7a3', '--store-file', storeFile]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Imported {3}energyrunner-trace \(lpm01a\) into device h7a3: 5 windows, 5 new, 0 already stored$/m);
    expect(first.stdout).toMatch(/^Per inf\. {3}11\.20 mJ per inference, median of 5 marker-bounded windows \(MLPerf Tiny\)$/m);
    expect(first.stdout).toMatch(/^SCI {8}.* CO2e per inference = \(E·I \+ M\) per R$/m);
    expect(first.stdout).toMatch(/^ {2}M {8}.* kg hardware × TiR .* s \/ EL 3\.00 y/m);
    expect(first.stdout).toMatch(/^Instrument lpm01a: ± 2\.00 % stated; combined ± /m);

    const again = await runCli(['import', folder, '--device', 'h7a3', '--store-file', storeFile, '--json']);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary.import).toMatchObject({ inserted: 0, duplicates: 5, startMs: Date.UTC(2025, 5, 12, 12, 27, 41) });
    expect(summary.perInference.energy.basis).toBe('per-window-median');
    expect(Math.abs((summary.perInference.energy.energyPerInferenceJ * 1e6) / session.medianUJ - 1)).toBeLessThan(1e-3);
    const store = SqliteStore.open(storeFile);
    expect(await store.getAggregate('h7a3')).toMatchObject({ windows: 5, inferences: 800 });
    await store.close();
  });

  it('a single CSV file; a bad file exits 2 naming the forms it reads', async () => {
    const csv = path.join(dir, 'ppk-export.csv');
    writeFileSync(csv, ['Timestamp(ms),Current(uA)', ...Array.from({ length: 100 }, (_, i) => `${i * 10},1000.000`)].join('\n'));
    const ok = await runCli(['import', csv, '--voltage', '3', '--store-file', storeFile, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).import).toMatchObject({ deviceId: 'ppk-export', format: 'ppk-csv', instrument: 'ppk2', inserted: 1 });
    const bad = path.join(dir, 'notes.txt');
    writeFileSync(bad, 'hello');
    const refused = await runCli(['import', bad, '--store-file', storeFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not an import this service reads \(notes\.txt\): expected an EnergyRunner session folder/);
  });
});
