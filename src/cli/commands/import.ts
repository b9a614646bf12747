import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildCatalogue } from '../../catalogue/load-catalogue.js';
import { ValidationError } from '../../domain/errors.js';
import type { ImportFile } from '../../ingest/import/import-types.js';
import { UNDERSTOOD_FORMS } from '../../ingest/import/detect.js';
import { importFiles } from '../../ingest/import/import-run.js';
import { MAX_IMPORT_BYTES } from '../../ingest/import/limits.js';
import { createPipeline, openStoreFileForCli, storeFileIn } from '../../server/compose.js';
import { deviceFootprint, MAX_INFERENCE_SPANS_FOR_MEDIAN } from '../../service/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../service/spec.js';
import { DATABASE_FILE, defaultDataDir } from '../../store/data-dir.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { formatPerInference, formatPowerUncertainty } from '../format-per-inference.js';

/** The files of an EnergyRunner session folder an import reads; everything else in the folder is left alone. */
const SESSION_FILE = /^(trace\d*-energy\.bin|trace\d*-timestamps\.json|log\.txt|results\.txt)$/;
const UNSAFE_ID_CHARACTERS = /[^A-Za-z0-9_.-]+/g;
const MAX_DEVICE_ID_LENGTH = 64;

function readBounded(file: string, budget: { left: number }): Uint8Array {
  const size = statSync(file).size;
  budget.left -= size;
  if (budget.left < 0) throw new ValidationError(`the import is larger than ${MAX_IMPORT_BYTES} bytes (MAX_IMPORT_BYTES): import a shorter run`);
  return readFileSync(file);
}

/** A file, or the session files of a folder (the folder's name is the session's time). */
export function readImportPath(target: string): { files: ImportFile[]; folderName?: string } {
  const budget = { left: MAX_IMPORT_BYTES };
  const stat = statSync(target, { throwIfNoEntry: false });
  if (stat === undefined) throw new ValidationError(`${target}: no such file or folder`);
  if (!stat.isDirectory()) return { files: [{ name: path.basename(target), bytes: readBounded(target, budget) }] };
  const names = readdirSync(target).filter((name) => SESSION_FILE.test(name));
  if (names.length === 0) throw new ValidationError(`${target} holds no EnergyRunner session files: expected ${UNDERSTOOD_FORMS}`);
  return {
    files: names.sort().map((name) => ({ name, bytes: readBounded(path.join(target, name), budget) })),
    folderName: path.basename(path.resolve(target)),
  };
}

/** A device id from a path's last part: what a user would name the board by, made safe. */
export function defaultDeviceId(target: string): string {
  const base = path.basename(path.resolve(target)).replace(/\.[^.]*$/, '');
  const id = base
    .replace(UNSAFE_ID_CHARACTERS, '-')
    .replace(/^[-.]+/, '')
    .slice(0, MAX_DEVICE_ID_LENGTH);
  return id.length > 0 ? id : 'import';
}

export const importCommand: CliCommand = defineCommand({
  name: 'import',
  synopsis: '<file or EnergyRunner session folder> [options]',
  description:
    'Imports a measurement made elsewhere as windows of a device, exactly once (the same files again change nothing):\n' +
    `${UNDERSTOOD_FORMS}. Prints the energy per inference (MLPerf Tiny median) and SCI per inference.`,
  positionals: true,
  options: {
    device: { type: 'string', value: '<id>', default: "the file or folder's name", help: 'the device the windows belong to (registered if new)' },
    voltage: { type: 'string', value: '<V>', help: 'supply voltage for a current-only export (nRF Power Profiler CSV)' },
    start: { type: 'string', value: '<iso>', default: "the session folder's time, else so that the run ends now", help: 'when the run started' },
    'store-file': { type: 'string', value: '<f>', default: `<data dir>/${DATABASE_FILE}`, help: 'the SQLite store to import into' },
    json: { type: 'boolean', help: 'print the summary as JSON' },
  },
  async run({ values, positionals }) {
    const target = positionals[0];
    if (target === undefined || positionals.length > 1) throw new ValidationError('usage: import <file or EnergyRunner session folder> [options] (see --help)');
    const voltageV = values.voltage === undefined ? undefined : Number(values.voltage);
    if (voltageV !== undefined && !Number.isFinite(voltageV)) throw new ValidationError(`--voltage must be a number of volts, got "${values.voltage}"`);
    const startMs = values.start === undefined ? undefined : Date.parse(values.start);
    if (startMs !== undefined && Number.isNaN(startMs)) throw new ValidationError(`--start must be an ISO 8601 time, got "${values.start}"`);
    const { files, folderName } = readImportPath(target);
    const deviceId = values.device ?? defaultDeviceId(target);

    const store = openStoreFileForCli(values['store-file'] ?? storeFileIn(defaultDataDir()));
    try {
      const pipeline = createPipeline(store, SEED_DEFAULT_SPEC);
      const nowMs = Date.now();
      const { summary } = await importFiles(
        pipeline.ingest,
        {
          deviceId,
          files,
          ...(folderName === undefined ? {} : { folderName }),
          ...(voltageV === undefined ? {} : { voltageV }),
          ...(startMs === undefined ? {} : { startMs }),
        },
        nowMs,
      );
      const device = (await store.getDevice(deviceId))!;
      const aggregate = await store.getAggregate(deviceId);
      const spans = await store.listInferenceSpans(deviceId, MAX_INFERENCE_SPANS_FOR_MEDIAN);
      const footprint = deviceFootprint(buildCatalogue(), device, aggregate, nowMs, 0, undefined, spans);
      if (values.json === true) {
        process.stdout.write(
          `${JSON.stringify({ import: summary, powerUncertainty: footprint.powerUncertainty, perInference: footprint.perInference }, null, 2)}\n`,
        );
        return 0;
      }
      const lines = [
        `Imported   ${summary.format}${summary.instrument === null ? '' : ` (${summary.instrument})`} into device ${deviceId}: ${summary.windows} windows, ` +
          `${summary.inserted} new, ${summary.duplicates} already stored`,
        ...summary.notes.map((note) => `           ${note}`),
        `Device     ${aggregate?.windows ?? 0} windows, ${(aggregate?.observedS ?? 0).toFixed(2)} s observed, ${aggregate?.inferences ?? 0} inferences`,
        ...(footprint.powerUncertainty === null ? [] : formatPowerUncertainty(footprint.powerUncertainty)),
        ...(footprint.perInference === null ? ['Per inf.   no inferences counted'] : formatPerInference(footprint.perInference)),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
});
