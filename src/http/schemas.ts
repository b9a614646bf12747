import { z } from 'zod';
import { buildCatalogue } from '../catalogue/load-catalogue.js';
import {
  DEVICE_ID_PATTERN,
  MAX_NAME_LENGTH,
  MAX_WINDOW_DURATION_S,
  MAX_WINDOWS_PER_REQUEST,
} from '../config/defaults.js';
import {
  MAX_BATTERY_WH,
  MAX_CUSTOM_KG,
  MAX_CYCLE_LIFE,
  MAX_LIFETIME_YEARS,
  MAX_POWER_W,
  MAX_TRAINING_DEVICES,
  MIN_BATTERY_WH,
  MIN_CHARGER_EFFICIENCY,
  MIN_CYCLE_LIFE,
} from '../model/limits.js';
import { DECIMAL_INTEGER_PATTERN, DECIMAL_PATTERN } from '../domain/quantity.js';

const finite = () => z.number().refine(Number.isFinite, 'must be finite');

/**
 * Query-string numbers are decimal, never `Number()`'s reading (which takes `0x10`, `0b1`, `1e3` for a count, spaces,
 * and `""` as 0). An integer is digits only; a decimal may have a fraction and an exponent (`0.9`, `25e-1`).
 */
export const queryInteger = <T extends z.ZodType<number, number>>(range: T) =>
  z.string().regex(DECIMAL_INTEGER_PATTERN, 'must be a decimal integer (digits only: no sign, exponent, 0x prefix or spaces)').transform(Number).pipe(range);
export const queryDecimal = <T extends z.ZodType<number, number>>(range: T) =>
  z.string().regex(DECIMAL_PATTERN, 'must be a decimal number (e.g. 3, 0.5, 25e-1; no 0x prefix or spaces)').transform(Number).pipe(range);
const MAX_ID_TEXT = 100;

export const blockChoiceSchema = z
  .object({
    level: z.number().int().min(0).max(9).optional(),
    kgCO2e: finite().min(0).max(MAX_CUSTOM_KG).optional(),
  })
  .strict()
  .refine((block) => block.level !== undefined || block.kgCO2e !== undefined, 'give a level or a kgCO2e value');

/** The block names of the catalogue (static data, validated by the same loader the service uses). */
export const BLOCK_IDS = buildCatalogue().blocks.map((block) => block.id) as [string, ...string[]];
const KNOWN_BLOCKS = `known blocks: ${BLOCK_IDS.join(', ')}`;

/**
 * Every key of `blocks` is checked on the raw JSON object, before zod builds its output: zod's records skip a
 * `__proto__` key without a word (assigning it would replace the prototype), so `{"__proto__": {...}}` was accepted
 * and stored as `{}`. `constructor`, `prototype` and any other unknown name are refused the same way.
 */
function refuseUnknownBlocks(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  for (const key of Object.keys(raw)) {
    if (!BLOCK_IDS.includes(key)) ctx.addIssue({ code: 'custom', message: `unknown block "${key}" (${KNOWN_BLOCKS})`, path: [key], input: key });
  }
  return raw;
}

export const blocksSchema = z.preprocess(refuseUnknownBlocks, z.partialRecord(z.enum(BLOCK_IDS), blockChoiceSchema));

export const systemChoiceSchema = z.union([
  z.string().min(1).max(MAX_ID_TEXT),
  z
    .object({
      base: z.string().min(1).max(MAX_ID_TEXT).optional(),
      scenario: z.enum(['min', 'typical', 'max']).optional(),
      blocks: blocksSchema.optional(),
    })
    .strict(),
]);

export const batterySchema = z
  .object({
    capacityWh: finite().min(MIN_BATTERY_WH).max(MAX_BATTERY_WH).optional(),
    cycleLife: finite().min(MIN_CYCLE_LIFE).max(MAX_CYCLE_LIFE).optional(),
    packKgCO2e: finite().min(0).max(MAX_CUSTOM_KG).optional(),
  })
  .strict();

/** Power: watts as a number, or a string with a unit ("27mW", "800 uW"). */
export const powerSchema = z.union([finite().min(0).max(MAX_POWER_W), z.string().min(1).max(40)]);

/** The footprint options shared by the calculator and devices. */
export const specFields = {
  system: systemChoiceSchema.optional(),
  training: z.string().min(1).max(MAX_ID_TEXT).optional(),
  trainingDevices: z.number().int().min(1).max(MAX_TRAINING_DEVICES).optional(),
  grid: z.string().min(1).max(MAX_ID_TEXT).optional(),
  lifetimeYears: finite().positive().max(MAX_LIFETIME_YEARS).optional(),
  chargerEfficiency: finite().min(MIN_CHARGER_EFFICIENCY).max(1).optional(),
  battery: batterySchema.optional(),
};

export const calculateBodySchema = z
  .object({
    ...specFields,
    power: powerSchema.optional(),
    elapsedS: finite().min(0).optional(),
  })
  .strict();

export const calculateQuerySchema = z
  .object({
    system: z.string().min(1).max(MAX_ID_TEXT).optional(),
    training: z.string().min(1).max(MAX_ID_TEXT).optional(),
    trainingDevices: queryInteger(z.number().int().min(1).max(MAX_TRAINING_DEVICES)).optional(),
    grid: z.string().min(1).max(MAX_ID_TEXT).optional(),
    region: z.string().min(1).max(MAX_ID_TEXT).optional(),
    lifetimeYears: queryDecimal(finite().positive().max(MAX_LIFETIME_YEARS)).optional(),
    years: queryDecimal(finite().positive().max(MAX_LIFETIME_YEARS)).optional(),
    chargerEfficiency: queryDecimal(finite().min(MIN_CHARGER_EFFICIENCY).max(1)).optional(),
    power: z.string().min(1).max(40).optional(),
    scenario: z.enum(['min', 'typical', 'max']).optional(),
    /** Block overrides as `block:level` or `block=kg`, comma-separated: `processing:1,casing=0.5`. */
    blocks: z.string().max(2000).optional(),
  })
  .strict();

const deviceId = z.string().regex(DEVICE_ID_PATTERN, 'device id: 1–64 characters of A-Z a-z 0-9 _ . -');
const isoDate = z.iso.datetime({ offset: true });

export const createDeviceSchema = z
  .object({
    id: deviceId,
    name: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    fleet: z.string().regex(DEVICE_ID_PATTERN).nullable().optional(),
    deployedAt: isoDate.nullable().optional(),
    ...specFields,
  })
  .strict();

export const patchDeviceSchema = z
  .object({
    name: z.string().min(1).max(MAX_NAME_LENGTH).optional(),
    fleet: z.string().regex(DEVICE_ID_PATTERN).nullable().optional(),
    deployedAt: isoDate.nullable().optional(),
    ...specFields,
  })
  .strict();

export const windowSchema = z
  .object({
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    startMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    durationS: finite().positive().max(MAX_WINDOW_DURATION_S),
    energyJ: finite().min(0),
    sampleCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    minPowerW: finite().min(0).max(MAX_POWER_W).nullable().optional(),
    maxPowerW: finite().min(0).max(MAX_POWER_W).nullable().optional(),
    inferenceCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

export const windowBatchSchema = z.object({ windows: z.array(windowSchema).min(1).max(MAX_WINDOWS_PER_REQUEST) }).strict();

/** A batch `{windows: [...]}` or one window; the shape is chosen first so that errors name the offending field. */
export const windowsBodySchema = z.union([windowBatchSchema, windowSchema]);

export const listQuerySchema = z
  .object({
    limit: queryInteger(z.number().int().min(1)).optional(),
    offset: queryInteger(z.number().int().min(0)).optional(),
    fleet: z.string().regex(DEVICE_ID_PATTERN).optional(),
  })
  .strict();

