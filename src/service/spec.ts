import assumptionsJson from '../../data/lifecycle-assumptions.json' with { type: 'json' };
import { ValidationError } from '../domain/errors.js';
import { MAX_CUSTOM_KG } from '../model/limits.js';
import type { BlockChoice, CustomSystem, DeviceSpec, Scenario, SystemChoice } from '../domain/types.js';

/** The footprint options a request may carry; anything absent falls back to the defaults. */
export interface SpecFields {
  system?: SystemChoice | undefined;
  training?: string | undefined;
  trainingDevices?: number | undefined;
  grid?: string | undefined;
  lifetimeYears?: number | undefined;
  chargerEfficiency?: number | undefined;
  battery?: DeviceSpec['battery'] | undefined;
}

/**
 * The seed's setting: keyword spotting typical, DenseNet training charged to one device, the EPA grid, and the
 * lifetime and charger efficiency of data/lifecycle-assumptions.json (3 years, no charger loss), where they are cited.
 */
export const SEED_DEFAULT_SPEC: DeviceSpec = Object.freeze({
  system: 'kws-typical',
  training: 'densenet',
  trainingDevices: 1,
  grid: 'epa',
  lifetimeYears: assumptionsJson.lifetime.years,
  chargerEfficiency: assumptionsJson.chargerEfficiency.value,
});

export function specFrom(fields: SpecFields, defaults: DeviceSpec): DeviceSpec {
  const spec: DeviceSpec = {
    system: fields.system ?? defaults.system,
    training: fields.training ?? defaults.training,
    trainingDevices: fields.trainingDevices ?? defaults.trainingDevices,
    grid: fields.grid ?? defaults.grid,
    lifetimeYears: fields.lifetimeYears ?? defaults.lifetimeYears,
    chargerEfficiency: fields.chargerEfficiency ?? defaults.chargerEfficiency,
  };
  const battery = fields.battery ?? defaults.battery;
  if (battery !== undefined) spec.battery = battery;
  return spec;
}

/** Only the fields present in a PATCH, as a partial spec. */
export function specPatch(fields: SpecFields): Partial<DeviceSpec> {
  const patch: Partial<DeviceSpec> = {};
  if (fields.system !== undefined) patch.system = fields.system;
  if (fields.training !== undefined) patch.training = fields.training;
  if (fields.trainingDevices !== undefined) patch.trainingDevices = fields.trainingDevices;
  if (fields.grid !== undefined) patch.grid = fields.grid;
  if (fields.lifetimeYears !== undefined) patch.lifetimeYears = fields.lifetimeYears;
  if (fields.chargerEfficiency !== undefined) patch.chargerEfficiency = fields.chargerEfficiency;
  if (fields.battery !== undefined) patch.battery = fields.battery;
  return patch;
}

/**
 * Compact block overrides, as in a shareable URL: `processing:1,casing=0.5` (level after `:`, kg CO2e after `=`).
 */
export function parseBlockOverrides(text: string, base: string | undefined, scenario: Scenario | undefined): CustomSystem {
  const blocks: Record<string, BlockChoice> = {};
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)) {
    const match = /^([a-z-]+)([:=])([0-9.eE+-]+)$/.exec(part);
    if (match === null) throw new ValidationError(`block override "${part}": use block:level or block=kgCO2e`);
    const value = Number(match[3]);
    if (!Number.isFinite(value) || value < 0) throw new ValidationError(`block override "${part}": value must be a finite number ≥ 0`);
    if (match[2] === '=' && value > MAX_CUSTOM_KG) throw new ValidationError(`block override "${part}": at most ${MAX_CUSTOM_KG} kg CO2e`);
    if (match[2] === ':' && !Number.isInteger(value)) throw new ValidationError(`block override "${part}": a level is an integer`);
    blocks[match[1]!] = match[2] === ':' ? { level: value } : { kgCO2e: value };
  }
  return { ...(base === undefined ? {} : { base }), ...(scenario === undefined ? {} : { scenario }), blocks };
}
