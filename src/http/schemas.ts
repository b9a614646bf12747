import { z } from 'zod';
import { buildCatalogue } from '../catalogue/load-catalogue.js';
import { DEVICE_ID_PATTERN } from '../protocol/limits.js';

/** Volts: above any microcontroller supply (the PPK2 sources at most 5 V). */
const MAX_IMPORT_VOLTAGE_V = 5;
import { MAX_FUTURE_SKEW_MS, MAX_WINDOW_DURATION_S } from '../domain/limits.js';
import { FLEET_SORT_KEYS, FLEET_STATUS_FILTERS } from '../service/fleet-page.js';
import {
  DEFAULT_FLEET_PAGE_ROWS,
  DEFAULT_SERIES_BUCKETS,
  MAX_DEVICES_PER_REQUEST,
  MAX_FLEET_PAGE_ROWS,
  MAX_IMPORT_BODY_BYTES,
  MAX_IMPORT_FILES,
  MAX_NAME_LENGTH,
  MAX_PAGE_SIZE,
  MAX_SERIES_BUCKETS,
  MAX_SERIES_STEP_S,
  MAX_WINDOWS_LISTED,
  MAX_WINDOWS_PER_REQUEST,
} from './limits.js';
import {
  MAX_BATTERY_WH,
  MAX_CALENDAR_LIFE_YEARS,
  MAX_SELF_DISCHARGE_PER_MONTH,
  MIN_CALENDAR_LIFE_YEARS,
  MAX_CUSTOM_KG,
  MAX_CYCLE_LIFE,
  MAX_INFERENCES_PER_S,
  MAX_LIFETIME_YEARS,
  MAX_POWER_W,
  MAX_TRAINING_DEVICES,
  MIN_BATTERY_WH,
  MIN_CHARGER_EFFICIENCY,
  MIN_CYCLE_LIFE,
} from '../model/limits.js';
import { DECIMAL_INTEGER_PATTERN, DECIMAL_PATTERN, POWER_TEXT_PATTERN } from '../domain/quantity.js';
import { MIN_WINDOW_START_MS } from '../domain/window-plausibility.js';

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

const catalogue = buildCatalogue();
/** The block names of the catalogue (static data, validated by the same loader the service uses). */
export const BLOCK_IDS = catalogue.blocks.map((block) => block.id) as [string, ...string[]];
const KNOWN_BLOCKS = `known blocks: ${BLOCK_IDS.join(', ')}`;
/** The preset ids: documented as the values of `system` and `base` (an unknown one is refused by the model, by name). */
export const SYSTEM_IDS = catalogue.systems.map((system) => system.id);

/** One block's override: a level of that block (as the catalogue lists them), or an explicit kg CO2e value, or both. */
function blockChoiceSchema(levels: readonly number[]) {
  return z
    .object({
      level: z.literal(levels as [number, ...number[]]).optional(),
      kgCO2e: finite().min(0).max(MAX_CUSTOM_KG).optional(),
    })
    .strict()
    .refine((block) => block.level !== undefined || block.kgCO2e !== undefined, 'give a level or a kgCO2e value')
    .meta({ minProperties: 1 });
}

/**
 * Every key of `blocks` is checked on the raw JSON object, before zod builds its output: zod skips a `__proto__` key
 * without a word (assigning it would replace the prototype), so `{"__proto__": {...}}` was accepted and stored as
 * `{}`. `constructor`, `prototype` and any other unknown name are refused the same way, naming the known blocks.
 */
function refuseUnknownBlocks(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  for (const key of Object.keys(raw)) {
    if (!BLOCK_IDS.includes(key)) ctx.addIssue({ code: 'custom', message: `unknown block "${key}" (${KNOWN_BLOCKS})`, path: [key], input: key });
  }
  return raw;
}

export const blocksSchema = z.preprocess(
  refuseUnknownBlocks,
  z.strictObject(Object.fromEntries(catalogue.blocks.map((block) => [block.id, blockChoiceSchema(block.levels.map((level) => level.level)).optional()]))).meta({
    description:
      "per block: {level} (one of the block's levels), or {kgCO2e}, which wins when both are given; a level the dataset does not quantify needs kgCO2e",
  }),
);

const presetId = () => z.string().min(1).max(MAX_ID_TEXT).meta({ enum: SYSTEM_IDS });

export const systemChoiceSchema = z.union([
  presetId().meta({ description: 'a system preset' }),
  z
    .object({
      base: presetId().optional(),
      scenario: z.enum(['min', 'typical', 'max']).optional(),
      blocks: blocksSchema.optional(),
    })
    .strict()
    .meta({ description: 'a custom system: a preset (default kws-typical) with some blocks overridden' }),
]);

export const batterySchema = z
  .object({
    capacityWh: finite().min(MIN_BATTERY_WH).max(MAX_BATTERY_WH).optional(),
    cycleLife: finite().min(MIN_CYCLE_LIFE).max(MAX_CYCLE_LIFE).optional(),
    calendarLifeYears: finite().min(MIN_CALENDAR_LIFE_YEARS).max(MAX_CALENDAR_LIFE_YEARS).optional(),
    selfDischargePerMonth: finite().min(0).max(MAX_SELF_DISCHARGE_PER_MONTH).optional(),
    packKgCO2e: finite().min(0).max(MAX_CUSTOM_KG).optional(),
  })
  .strict();

/** Power: watts as a number, or a string with a unit ("27mW", "800 uW"). */
const powerText = () =>
  z
    .string()
    .min(1)
    .max(40)
    .meta({
      pattern: POWER_TEXT_PATTERN,
      description: `a number and a unit (W, mW, uW, µW, nW, kW, MW; case-sensitive; no unit: watts), at most ${MAX_POWER_W} W`,
    });
export const powerSchema = z.union([finite().min(0).max(MAX_POWER_W).meta({ description: 'watts' }), powerText()]);

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
    inferencesPerS: finite()
      .positive()
      .max(MAX_INFERENCES_PER_S)
      .optional()
      .meta({ description: 'inferences per second: adds perInference (energy and SCI per inference, each term named)' }),
  })
  .strict();

export const calculateQuerySchema = z
  .object({
    system: presetId().optional(),
    training: z.string().min(1).max(MAX_ID_TEXT).optional(),
    trainingDevices: queryInteger(z.number().int().min(1).max(MAX_TRAINING_DEVICES)).optional(),
    grid: z.string().min(1).max(MAX_ID_TEXT).optional(),
    region: z.string().min(1).max(MAX_ID_TEXT).optional(),
    lifetimeYears: queryDecimal(finite().positive().max(MAX_LIFETIME_YEARS)).optional(),
    years: queryDecimal(finite().positive().max(MAX_LIFETIME_YEARS)).optional(),
    chargerEfficiency: queryDecimal(finite().min(MIN_CHARGER_EFFICIENCY).max(1)).optional(),
    power: powerText().optional(),
    inferencesPerS: queryDecimal(finite().positive().max(MAX_INFERENCES_PER_S)).optional(),
    scenario: z.enum(['min', 'typical', 'max']).optional(),
    blocks: z.string().max(2000).meta({ description: 'block overrides, comma-separated: block:level or block=kgCO2e (processing:1,casing=0.5)' }).optional(),
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

/** Bulk registration: POST /api/devices with an array of devices. */
export const createDevicesSchema = z.array(createDeviceSchema).min(1).max(MAX_DEVICES_PER_REQUEST);

/** POST /api/devices: `existing=skip` leaves devices that exist as they are (a manifest imported again) instead of 409. */
export const createDevicesQuerySchema = z.object({ existing: z.enum(['fail', 'skip']).optional() }).strict();

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
    // The plausibility rules (src/domain/window-plausibility.ts, the same for every source) answer with a reason;
    // the document states them on the fields they bound.
    startMs: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      // The upper bound moves with the server's clock: it is in the description, not a static `maximum`.
      .meta({
        minimum: MIN_WINDOW_START_MS,
        maximum: undefined,
        description: `Unix epoch ms; not before 2000-01-01 (an unset clock), at most ${MAX_FUTURE_SKEW_MS / 3_600_000} h ahead of the server (a unit mistake)`,
      }),
    durationS: finite().positive().max(MAX_WINDOW_DURATION_S),
    energyJ: finite()
      .min(0)
      .meta({
        description: `joules; the average energyJ / durationS is at most ${MAX_POWER_W} W, and within [minPowerW, maxPowerW] (± 1 % + 1 µW) when sampleCount > 1`,
      }),
    sampleCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    minPowerW: finite().min(0).max(MAX_POWER_W).nullable().optional(),
    maxPowerW: finite().min(0).max(MAX_POWER_W).nullable().optional(),
    inferenceCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .meta({
    description:
      'one energy window; the same window again is a duplicate and changes nothing, a re-used seq with another window is stored, an overlapping one refused (SPEC.md §7); minPowerW ≤ maxPowerW',
  });

export const windowBatchSchema = z.object({ windows: z.array(windowSchema).min(1).max(MAX_WINDOWS_PER_REQUEST) }).strict();

/** A batch `{windows: [...]}` or one window; the shape is chosen first so that errors name the offending field. */
export const windowsBodySchema = z.union([windowBatchSchema, windowSchema]);

export const listQuerySchema = z
  .object({
    limit: queryInteger(z.number().int().min(1))
      .meta({ description: `devices per page (default 1000); more than ${MAX_PAGE_SIZE} is read as ${MAX_PAGE_SIZE}` })
      .optional(),
    offset: queryInteger(z.number().int().min(0)).optional(),
    fleet: z.string().regex(DEVICE_ID_PATTERN).optional(),
  })
  .strict();

/** `<startMs>.<seq>.<seqUse>` of the last window of the page before (nextCursor). */
export const WINDOW_CURSOR_PATTERN = /^\d{1,16}\.\d{1,16}\.\d{1,9}$/;

const unixMs = (description: string) => queryInteger(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).meta({ description });

export const windowsQuerySchema = z
  .object({
    limit: queryInteger(z.number().int().min(1).max(MAX_WINDOWS_LISTED)).optional(),
    from: unixMs('windows starting at or after this (Unix ms); with from, to or cursor: oldest first, paged').optional(),
    to: unixMs('windows starting before this (Unix ms)').optional(),
    cursor: z.string().regex(WINDOW_CURSOR_PATTERN).meta({ description: 'the nextCursor of the page before (send the same from and to)' }).optional(),
  })
  .strict();

export const seriesQuerySchema = z
  .object({
    from: unixMs(`first bucket's start (Unix ms); default: to − ${DEFAULT_SERIES_BUCKETS} steps`).optional(),
    to: unixMs('end of the series (Unix ms, exclusive); default: now (or from, if later)').optional(),
    step: queryInteger(z.number().int().min(1).max(MAX_SERIES_STEP_S))
      .meta({ description: `bucket length (s); default: (to − from) / ${DEFAULT_SERIES_BUCKETS}, at least 1; at most ${MAX_SERIES_BUCKETS} buckets` })
      .optional(),
  })
  .strict();

export const fleetQuerySchema = z
  .object({
    fleet: z.string().regex(DEVICE_ID_PATTERN).optional(),
    rows: z.enum(['true', 'false']).meta({ description: 'false: the totals only, in O(1)' }).optional(),
    sort: z.enum(FLEET_SORT_KEYS).meta({ description: 'row order (default id); status sorts by last seen, ratio by power; ties by id' }).optional(),
    dir: z.enum(['asc', 'desc']).optional(),
    q: z.string().max(MAX_NAME_LENGTH).meta({ description: 'only rows whose id, name, system, fleet or grid contains this (case-insensitive)' }).optional(),
    status: z.enum(FLEET_STATUS_FILTERS).meta({ description: 'only online, offline, measured, assumed or above-assumed-power rows (default all)' }).optional(),
    offset: queryInteger(z.number().int().min(0)).meta({ description: 'rows to skip in this order (default 0)' }).optional(),
    limit: queryInteger(z.number().int().min(0).max(MAX_FLEET_PAGE_ROWS))
      .meta({ description: `rows per page (default ${DEFAULT_FLEET_PAGE_ROWS}, at most ${MAX_FLEET_PAGE_ROWS})` })
      .optional(),
  })
  .strict();

export const fleetOverviewQuerySchema = z
  .object({ fleet: z.string().regex(DEVICE_ID_PATTERN).meta({ description: 'only this MQTT fleet (its online history is not kept apart: empty)' }).optional() })
  .strict();

export const eventsQuerySchema = z.object({ device: z.string().regex(DEVICE_ID_PATTERN).optional() }).strict();

/** POST /api/devices/:id/import: the files of one import, base64, and the options of `tinyml-footprint import`. */
export const importBodySchema = z
  .object({
    files: z
      .array(
        z
          .object({
            name: z.string().min(1).max(255).meta({ description: 'the file name: it tells the EnergyRunner files apart (trace1-energy.bin, log.txt, …)' }),
            contentBase64: z
              .string()
              .max(MAX_IMPORT_BODY_BYTES)
              .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'contentBase64: standard base64'),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_IMPORT_FILES),
    voltageV: finite()
      .positive()
      .max(MAX_IMPORT_VOLTAGE_V)
      .optional()
      .meta({ description: 'supply voltage of a current-only export (nRF Power Profiler CSV)' }),
    startMs: z.number().int().min(MIN_WINDOW_START_MS).max(Number.MAX_SAFE_INTEGER).optional().meta({ description: 'when the run started, Unix ms' }),
    folderName: z.string().max(64).optional().meta({ description: "an EnergyRunner session folder's name (YYYYMMDD_HHMMSS): the session's start" }),
  })
  .strict()
  .meta({ description: 'the files of one import: a file, or an EnergyRunner session folder’s files; importing the same files again changes nothing' });
