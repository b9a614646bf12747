import { ValidationError } from '../domain/errors.js';
import type { Catalogue, Provenance, Range } from './catalogue-types.js';
import { MAX_CUSTOM_KG } from './limits.js';
import { pointRange } from './range.js';

export interface ResolvedTraining {
  id: string;
  label: string;
  /** The whole training run's footprint, before sharing among devices. */
  runKgCO2e: Range;
  provenance: Provenance;
}

const DODGE_PREFIX = 'dodge:';
const CUSTOM_PREFIX = 'custom:';

/**
 * `densenet` | `mobilenetv1` | `none` (seed presets), `dodge:<run>` (Dodge et al. Table 2 energy × the paper's
 * grid range, its upper end as the value, like the seed), or `custom:<kgCO2e>`.
 */
export function resolveTraining(catalogue: Catalogue, choice: string): ResolvedTraining {
  if (choice.startsWith(CUSTOM_PREFIX)) {
    const text = choice.slice(CUSTOM_PREFIX.length).trim();
    const kgCO2e = Number(text);
    if (text === '' || !Number.isFinite(kgCO2e) || kgCO2e < 0 || kgCO2e > MAX_CUSTOM_KG) {
      throw new ValidationError(`training "${choice}": custom value must be a kg CO2e in [0, ${MAX_CUSTOM_KG}]`);
    }
    return {
      id: 'custom',
      label: 'Custom training footprint',
      runKgCO2e: pointRange(kgCO2e),
      provenance: { dataset: 'user', kind: 'user', citation: 'custom training footprint' },
    };
  }
  if (choice.startsWith(DODGE_PREFIX)) {
    const runId = choice.slice(DODGE_PREFIX.length);
    const run = catalogue.training.runs.find((candidate) => candidate.id === runId);
    if (run === undefined) {
      throw new ValidationError(`unknown training run "${runId}"`, [`known runs: ${catalogue.training.runs.map((r) => `dodge:${r.id}`).join(', ')}`]);
    }
    const { min, max } = catalogue.training.gridRangeKgPerKWh;
    const upperKgCO2e = run.energyKWh * max;
    return {
      id: choice,
      label: `${run.model} (${run.gpu}, ${run.hours} h, ${run.energyKWh} kWh)`,
      runKgCO2e: { min: run.energyKWh * min, typical: upperKgCO2e, max: upperKgCO2e },
      provenance: {
        ...catalogue.training.provenance,
        kind: 'derived',
        note: `${run.energyKWh} kWh × ${max} kg/kWh (upper end of the paper's grid range ${min}–${max})`,
      },
    };
  }
  const preset = catalogue.training.presets.find((candidate) => candidate.id === choice);
  if (preset === undefined) {
    throw new ValidationError(`unknown training "${choice}"`, [
      `known: ${catalogue.training.presets.map((p) => p.id).join(', ')}, dodge:<run>, custom:<kgCO2e>`,
    ]);
  }
  return { id: preset.id, label: preset.label, runKgCO2e: pointRange(preset.kgCO2e), provenance: preset.provenance };
}
