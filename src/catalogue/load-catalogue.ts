import { z } from 'zod';
import blocksJson from '../../data/pirson-bol-2021-blocks.json' with { type: 'json' };
import systemsJson from '../../data/systems.json' with { type: 'json' };
import trainingJson from '../../data/training-dodge-2022.json' with { type: 'json' };
import referenceJson from '../../data/reference-devices.json' with { type: 'json' };
import assumptionsJson from '../../data/lifecycle-assumptions.json' with { type: 'json' };
import type { Catalogue, Provenance, ProvenanceKind, RangeKinds } from '../model/catalogue-types.js';

const rangeSchema = z.object({ min: z.number().min(0), typical: z.number().min(0), max: z.number().min(0) });
const kindSchema = z.enum(['published', 'derived', 'assumption', 'user', 'measured']);
const rangeKindsSchema = z.object({ min: kindSchema, typical: kindSchema, max: kindSchema });

const blocksSchema = z.object({
  dataset: z.string(),
  source: z.string(),
  sources: z.record(z.string(), z.object({ dataset: z.string(), citation: z.string(), description: z.string(), basedOn: z.string().optional() })),
  blocks: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      group: z.enum(['embodied', 'transport']),
      levels: z.array(
        z.object({
          level: z.number().int().min(0),
          content: z.string(),
          kgCO2e: rangeSchema.nullable(),
          source: z.string(),
          kind: kindSchema,
          rangeKinds: rangeKindsSchema.optional(),
          note: z.string().optional(),
          battery: z.boolean().optional(),
          batteryCapacityWh: rangeSchema.optional(),
          batteryCapacity: z.object({ source: z.string(), kind: kindSchema, rangeKinds: rangeKindsSchema.optional(), note: z.string() }).optional(),
        }),
      ),
    }),
  ),
});

const systemsSchema = z.object({
  dataset: z.string(),
  source: z.string(),
  systems: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      application: z.string(),
      scenario: z.enum(['min', 'typical', 'max']),
      training: z.string(),
      blocks: z.record(z.string(), z.number().int().min(0)),
    }),
  ),
});

const trainingSchema = z.object({
  dataset: z.string(),
  source: z.string(),
  gridRangeKgPerKWh: z.object({ min: z.number(), max: z.number() }),
  runs: z.array(z.object({ id: z.string(), model: z.string(), gpu: z.string(), hours: z.number(), energyKWh: z.number() })),
  presets: z.array(z.object({ id: z.string(), label: z.string(), kgCO2e: z.number().min(0), source: z.string() })),
});

const referenceSchema = z.object({
  dataset: z.string(),
  devices: z.array(z.object({ id: z.string(), label: z.string(), kgCO2e: z.number().positive(), source: z.string() })),
});

const sourcedSchema = z.object({ source: z.string() });
const assumptionsSchema = z.object({
  dataset: z.string(),
  assumedPower: sourcedSchema.extend({ powerW: z.number().positive() }),
  lifetime: sourcedSchema.extend({ years: z.number().positive(), secondsPerYear: z.number().positive() }),
  endOfLife: sourcedSchema.extend({ kgCO2e: z.number().min(0), maxShare: z.number().min(0).max(1) }),
  battery: sourcedSchema.extend({ cycleLife: z.number().positive() }),
  batteryCalendarLife: sourcedSchema.extend({ years: z.number().positive() }),
  batterySelfDischarge: sourcedSchema.extend({ perMonth: z.number().min(0).max(1), meanStateOfCharge: z.number().min(0).max(1) }),
  chargerEfficiency: sourcedSchema.extend({ value: z.number().positive().max(1) }),
});

function provenance(dataset: string, kind: ProvenanceKind, citation: string, note?: string, source?: string): Provenance {
  return { dataset, kind, citation, ...(note === undefined ? {} : { note }), ...(source === undefined ? {} : { source }) };
}

type BlocksFile = z.infer<typeof blocksSchema>;

/**
 * A block level's provenance: the dataset its value was taken from (the TinyML-Footprint table for the seed's values),
 * and, when that dataset is a compilation, the primary source behind it (Pirson & Bol 2021).
 */
function levelProvenance(
  blocks: BlocksFile,
  sourceKey: string,
  kind: ProvenanceKind,
  note: string | undefined,
  rangeKinds: RangeKinds | undefined,
): Provenance {
  const source = blocks.sources[sourceKey];
  if (source === undefined) throw new Error(`data/pirson-bol-2021-blocks.json: unknown source "${sourceKey}"`);
  const basedOn = source.basedOn === undefined ? undefined : blocks.sources[source.basedOn];
  if (source.basedOn !== undefined && basedOn === undefined) {
    throw new Error(`data/pirson-bol-2021-blocks.json: source "${sourceKey}" is based on unknown source "${source.basedOn}"`);
  }
  const result = provenance(source.dataset, kind, source.citation, note, basedOn?.citation);
  const mixed = rangeKinds !== undefined && Object.values(rangeKinds).some((end) => end !== kind);
  if (rangeKinds !== undefined && rangeKinds.typical !== kind) {
    throw new Error(`data/pirson-bol-2021-blocks.json: source "${sourceKey}": a level's kind must be the kind of its typical value (rangeKinds.typical)`);
  }
  return mixed ? { ...result, rangeKinds } : result;
}

/** Build the model's catalogue from the versioned files in data/, validating their shape once at load. */
export function buildCatalogue(): Catalogue {
  const blocks = blocksSchema.parse(blocksJson);
  const systems = systemsSchema.parse(systemsJson);
  const training = trainingSchema.parse(trainingJson);
  const reference = referenceSchema.parse(referenceJson);
  const assumptions = assumptionsSchema.parse(assumptionsJson);
  const assumption = (citation: string): Provenance => provenance(assumptions.dataset, 'assumption', citation);

  return {
    sources: blocks.sources,
    blocks: blocks.blocks.map((block) => ({
      id: block.id,
      label: block.label,
      group: block.group,
      levels: block.levels.map((level) => ({
        level: level.level,
        content: level.content,
        kgCO2e: level.kgCO2e,
        provenance: levelProvenance(blocks, level.source, level.kind, level.note, level.rangeKinds),
        ...(level.battery === undefined ? {} : { isBattery: level.battery }),
        ...(level.batteryCapacityWh === undefined ? {} : { batteryCapacityWh: level.batteryCapacityWh }),
        ...(level.batteryCapacity === undefined
          ? {}
          : {
              batteryCapacityProvenance: levelProvenance(
                blocks,
                level.batteryCapacity.source,
                level.batteryCapacity.kind,
                level.batteryCapacity.note,
                level.batteryCapacity.rangeKinds,
              ),
            }),
      })),
    })),
    systems: systems.systems.map((system) => ({ ...system, provenance: provenance(systems.dataset, 'published', systems.source) })),
    training: {
      presets: training.presets.map((preset) => ({
        id: preset.id,
        label: preset.label,
        kgCO2e: preset.kgCO2e,
        provenance: provenance(preset.id === 'none' ? 'user' : training.dataset, preset.id === 'none' ? 'user' : 'published', preset.source),
      })),
      runs: training.runs,
      gridRangeKgPerKWh: training.gridRangeKgPerKWh,
      provenance: provenance(training.dataset, 'published', training.source),
    },
    referenceDevices: reference.devices.map((device) => ({
      id: device.id,
      label: device.label,
      kgCO2e: device.kgCO2e,
      provenance: provenance(reference.dataset, 'published', device.source),
    })),
    assumptions: {
      assumedPowerW: assumptions.assumedPower.powerW,
      assumedPowerProvenance: assumption(assumptions.assumedPower.source),
      lifetimeYears: assumptions.lifetime.years,
      secondsPerYear: assumptions.lifetime.secondsPerYear,
      lifetimeProvenance: assumption(assumptions.lifetime.source),
      endOfLifeKgCO2e: assumptions.endOfLife.kgCO2e,
      endOfLifeMaxShare: assumptions.endOfLife.maxShare,
      endOfLifeProvenance: assumption(assumptions.endOfLife.source),
      batteryCycleLife: assumptions.battery.cycleLife,
      batteryProvenance: assumption(assumptions.battery.source),
      batteryCalendarLifeYears: assumptions.batteryCalendarLife.years,
      batteryCalendarLifeProvenance: assumption(assumptions.batteryCalendarLife.source),
      batterySelfDischargePerMonth: assumptions.batterySelfDischarge.perMonth,
      batteryMeanStateOfCharge: assumptions.batterySelfDischarge.meanStateOfCharge,
      batterySelfDischargeProvenance: assumption(assumptions.batterySelfDischarge.source),
      chargerEfficiency: assumptions.chargerEfficiency.value,
      chargerProvenance: assumption(assumptions.chargerEfficiency.source),
    },
  };
}
