/**
 * The shapes the API answers with, as zod schemas: the OpenAPI document's response schemas are generated from these
 * (src/http/openapi.ts), and test/http/openapi.test.ts validates every route's actual answers against that document.
 * Objects are strict, so a field the code returns but this file does not list fails the test by name; the type checks
 * at the bottom fail `npm run typecheck` when a required field of a domain type is missing here or typed differently.
 *
 * Adding a field to a response: add it here, next to its siblings (footprint fields in `footprintSchema` and its parts,
 * device fields in `deviceSchema`, aggregate fields in `aggregateSchema`, fleet rows in `fleetRowSchema`).
 */
import { z } from 'zod';
import type { Device, DeviceAggregate, EnergyWindow } from '../domain/types.js';
import type { SubmitResult } from '../ingest/window-sink.js';
import type { GridZoneEntry } from '../catalogue/grid.js';
import type { LifecycleAssumptions } from '../model/catalogue-types.js';
import type { FootprintResult } from '../model/footprint-types.js';
import type { SourceStatus } from '../obs/health-registry.js';
import type { DeviceFootprint } from '../service/device-footprint.js';
import type { FleetTotals } from '../service/fleet-index.js';
import type { FleetOverview } from '../service/fleet-overview.js';
import type { FleetDeviceRow } from '../service/fleet-summary.js';
import { BLOCK_IDS } from './schemas.js';
import { INSTRUMENT_IDS, WINDOW_SPANS } from '../domain/instruments.js';
import { IMPORT_FORMATS } from '../ingest/import/import-types.js';
import type { ImportSummary } from '../ingest/import/import-run.js';
import type { Calculation } from './routes/calculator.js';

const scenario = z.enum(['min', 'typical', 'max']);
const nullableNumber = z.number().nullable();
const provenanceKind = z.enum(['published', 'derived', 'assumption', 'user', 'measured']);

export const provenanceSchema = z.strictObject({
  dataset: z.string(),
  kind: provenanceKind,
  citation: z.string(),
  note: z.string().optional(),
  source: z.string().optional(),
  rangeKinds: z.strictObject({ min: provenanceKind, typical: provenanceKind, max: provenanceKind }).optional(),
});

export const rangeSchema = z.strictObject({ min: z.number(), typical: z.number(), max: z.number() });

export const gridFactorSchema = z.strictObject({
  id: z.string(),
  label: z.string(),
  kgCO2ePerKWh: z.number(),
  gas: z.enum(['CO2', 'CO2e']),
  scope: z.enum(['direct', 'lifecycle', 'user-defined']),
  year: nullableNumber,
  provenance: provenanceSchema,
});

const stageSchema = z.strictObject({
  id: z.string(),
  label: z.string(),
  group: z.enum(['training', 'embodied', 'transport', 'use', 'end-of-life']),
  kgCO2e: z.number(),
  range: rangeSchema,
  share: z.number(),
  level: nullableNumber,
  provenance: provenanceSchema,
});

const powerSummarySchema = z.strictObject({
  kind: z.enum(['assumed', 'given', 'measured']),
  powerW: z.number(),
  observedS: nullableNumber,
  samples: nullableNumber,
  windows: nullableNumber,
  provenance: provenanceSchema,
});

const useStageSchema = z.strictObject({
  deviceEnergyJ: z.number(),
  deviceEnergyWh: z.number(),
  selfDischargeWh: z.number(),
  gridEnergyWh: z.number(),
  chargerEfficiency: z.number(),
  kgCO2e: z.number(),
});

const batteryOutcomeSchema = z.strictObject({
  capacityWh: z.number(),
  cycleLife: z.number(),
  calendarLifeYears: z.number(),
  selfDischargePerMonth: z.number(),
  meanStateOfCharge: z.number(),
  packKgCO2e: z.number(),
  selfDischargeWh: z.number(),
  recharges: z.number(),
  rechargeIntervalH: nullableNumber,
  packLifeYears: z.number(),
  limitedBy: z.enum(['cycles', 'calendar']),
  replacements: z.number(),
  replacementKgCO2e: z.number(),
  provenance: provenanceSchema,
  sources: z.strictObject({ capacity: provenanceSchema, cycleLife: provenanceSchema, calendarLife: provenanceSchema, selfDischarge: provenanceSchema }),
});

const accruedSchema = z.strictObject({
  elapsedS: z.number(),
  fractionOfLifetime: z.number(),
  kgCO2e: z.number(),
  useKgCO2e: z.number(),
  batteryReplacements: z.number(),
  upfrontKgCO2e: z.number(),
});

/** A lifetime footprint (src/model/footprint-types.ts FootprintResult). */
export const footprintSchema = z.strictObject({
  system: z.strictObject({ id: z.string(), label: z.string(), scenario, isCustom: z.boolean() }),
  lifetimeYears: z.number(),
  lifetimeS: z.number(),
  power: powerSummarySchema,
  grid: gridFactorSchema,
  training: z.strictObject({ id: z.string(), label: z.string(), runKgCO2e: z.number(), devices: z.number(), kgCO2e: z.number(), provenance: provenanceSchema }),
  stages: z.array(stageSchema),
  totalKgCO2e: z.number(),
  totalRange: rangeSchema,
  byGroup: z.strictObject({ training: z.number(), embodied: z.number(), transport: z.number(), use: z.number(), 'end-of-life': z.number() }),
  use: useStageSchema,
  battery: batteryOutcomeSchema.nullable(),
  assumptions: z.array(z.string()),
  comparison: z.strictObject({
    assumed: z.strictObject({ powerW: z.number(), useKgCO2e: z.number(), totalKgCO2e: z.number(), batteryReplacements: z.number() }),
    referenceDevices: z.array(z.strictObject({ id: z.string(), label: z.string(), kgCO2e: z.number(), ratio: z.number(), provenance: provenanceSchema })),
  }),
  accrued: accruedSchema.nullable(),
});

const blockChoiceOutput = z.strictObject({ level: z.number().optional(), kgCO2e: z.number().optional() });

/** A device's spec as stored: defaults filled in. */
const deviceSpecSchema = z.strictObject({
  system: z.union([
    z.string(),
    z.strictObject({ base: z.string().optional(), scenario: scenario.optional(), blocks: z.partialRecord(z.enum(BLOCK_IDS), blockChoiceOutput).optional() }),
  ]),
  training: z.string(),
  trainingDevices: z.number(),
  grid: z.string(),
  lifetimeYears: z.number(),
  chargerEfficiency: z.number(),
  battery: z.strictObject({ capacityWh: z.number().optional(), cycleLife: z.number().optional(), packKgCO2e: z.number().optional() }).optional(),
});

export const deviceSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  fleet: z.string().nullable(),
  deployedAt: z.string().nullable(),
  spec: deviceSpecSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const aggregateSchema = z.strictObject({
  deviceId: z.string(),
  energyJ: z.number(),
  observedS: z.number(),
  windows: z.number(),
  samples: z.number(),
  inferences: z.number(),
  minPowerW: nullableNumber,
  maxPowerW: nullableNumber,
  maxSeq: nullableNumber,
  firstSeenMs: nullableNumber,
  lastSeenMs: nullableNumber,
  energySquaresJ2: z.number().meta({ description: 'Σ energyJ² over the windows (J²): with the next two, the window-to-window variance of the average power' }),
  energyDurationJS: z.number().meta({ description: 'Σ energyJ·durationS (J·s)' }),
  durationSquaresS2: z.number().meta({ description: 'Σ durationS² (s²)' }),
  inferenceSpanWindows: z.number().meta({ description: 'windows that are a marker-bounded run of inferences (span `inferences`)' }),
  instruments: z.array(z.enum(INSTRUMENT_IDS)).meta({ description: 'instruments named by the windows' }),
  instrumentedS: z.number().meta({ description: 'seconds covered by windows that name their instrument' }),
});

/** What a transport reported about a device (MQTT status / last will, the embedded broker's connections). */
const presenceSchema = z.strictObject({ state: z.enum(['online', 'offline']), sinceMs: z.number(), via: z.enum(['status', 'connection']) });

const deviceStatusSchema = z.strictObject({ online: z.boolean(), presence: presenceSchema.nullable(), lastSeenMs: nullableNumber, coverage: nullableNumber });

export const deviceWithAggregateSchema = deviceSchema.extend({ aggregate: aggregateSchema.nullable(), status: deviceStatusSchema });

/** What bulk registration (POST /api/devices with an array) answers. */
export const deviceBatchResultSchema = z.strictObject({
  created: z.number().meta({ description: 'devices registered by this request' }),
  existing: z.array(z.string()).meta({ description: 'ids that were registered already and were left as they are (existing=skip)' }),
});

export const deviceListSchema = z.strictObject({ devices: z.array(deviceSchema), total: z.number(), limit: z.number(), offset: z.number() });

export const storedWindowSchema = z.strictObject({
  deviceId: z.string(),
  seq: z.number(),
  startMs: z.number(),
  durationS: z.number(),
  energyJ: z.number(),
  sampleCount: z.number(),
  minPowerW: nullableNumber,
  maxPowerW: nullableNumber,
  inferenceCount: z.number(),
  source: z.string(),
  startStampedBy: z
    .enum(['device', 'receiver'])
    .optional()
    .meta({ description: "who stamped startMs: the device's clock, or the receiver's estimate (SPEC.md §7)" }),
  instrument: z.enum(INSTRUMENT_IDS).optional().meta({ description: 'the instrument that measured the window, when known' }),
  span: z
    .enum(WINDOW_SPANS)
    .optional()
    .meta({ description: '`inferences`: a marker-bounded run of inferenceCount inferences (MLPerf Tiny window); absent: a time window' }),
});

export const windowListSchema = z.strictObject({
  windows: z.array(storedWindowSchema),
  nextCursor: z
    .string()
    .nullable()
    .optional()
    .meta({ description: 'with from, to or cursor: pass it as cursor (same from and to) for the next page; null on the last page' }),
});

const seriesBucketSchema = z.strictObject({
  startMs: z.number(),
  windows: z.number(),
  energyJ: z.number(),
  observedS: z.number(),
  coverage: z.number().meta({ description: 'observedS / step; a window counts in the bucket of its start, so a step near the window length may exceed 1' }),
  avgPowerW: z.number().nullable(),
  minPowerW: z.number().nullable(),
  maxPowerW: z.number().nullable(),
  inferences: z.number(),
});

/** GET /api/devices/:id/series: windows summed per bucket (only buckets holding windows), for charts over days and months. */
export const seriesSchema = z.strictObject({
  deviceId: z.string(),
  fromMs: z.number(),
  toMs: z.number(),
  stepS: z.number(),
  buckets: z.array(seriesBucketSchema),
});

/** What POST /api/devices/:id/windows answers: 201 when something was stored, 200 when all were duplicates. */
export const submitResultSchema = z.strictObject({
  inserted: z.number(),
  duplicates: z.number(),
  rejected: z.number().optional(),
  overlaps: z.number().optional(),
  seqResets: z.number().optional().meta({ description: 'of inserted: windows that re-used a stored seq for another window (a reboot, SPEC.md §7.2)' }),
});

/** src/model/power-confidence.ts PowerUncertainty. */
export const powerUncertaintySchema = z
  .strictObject({
    estimator: z.literal('ratio-of-sums, Student t over windows'),
    confidenceLevel: z.number(),
    windows: z.number(),
    powerW: z.number(),
    standardErrorW: nullableNumber,
    halfWidthW: nullableNumber.meta({ description: 'half the confidence interval of the average power (W); null below 2 windows' }),
    relativeHalfWidth: nullableNumber,
    instrument: z.strictObject({
      ids: z.array(z.enum(INSTRUMENT_IDS)),
      coveredShare: z.number(),
      relativeAccuracy: nullableNumber.meta({ description: "the instruments' worst stated accuracy; null: unknown (never zero)" }),
      citations: z.array(z.string()),
    }),
    combinedRelative: nullableNumber.meta({ description: 'window-to-window interval and instrument accuracy in quadrature, when both are known' }),
  })
  .meta({ description: 'how well the measured average power is known: window-to-window variation (ratio estimator) and the instrument' });

const energyPerInferenceSchema = z.strictObject({
  basis: z.enum(['per-window-median', 'aggregate']).meta({
    description: '`per-window-median`: MLPerf Tiny (energy between markers / inferences, median over windows); `aggregate`: all energy over all inferences',
  }),
  energyPerInferenceJ: z.number(),
  perWindowJ: z.array(z.number()),
  windows: z.number(),
  inferences: z.number(),
  averagePowerW: z.number(),
});

/** src/model/sci.ts SciPerInference: SCI = (E·I + M) per R (ISO/IEC 21031:2024). */
export const sciSchema = z
  .strictObject({
    functionalUnit: z.literal('inference'),
    E: z.strictObject({
      energyPerInferenceJ: z.number(),
      basis: energyPerInferenceSchema.shape.basis,
      selfDischargeJPerInference: z
        .number()
        .meta({ description: "the battery's self-discharge over the time one inference reserves, recharged from the grid" }),
      chargerEfficiency: z.number(),
      gridEnergyPerInferenceKWh: z.number(),
    }),
    I: z.strictObject({ gridId: z.string(), kgCO2ePerKWh: z.number(), provenance: provenanceSchema }),
    M: z.strictObject({
      hardwareKgCO2e: z.number().meta({ description: 'TE: every stage but use and training' }),
      timeReservedS: z.number().meta({ description: 'TiR: 1 / inference rate' }),
      expectedLifespanS: z.number().meta({ description: 'EL' }),
      resourceShare: z.number().meta({ description: 'RR / ToR' }),
      kgCO2ePerInference: z.number(),
    }),
    R: z.strictObject({ inferencesPerS: z.number(), basis: z.enum(['measured', 'given']), lifetimeInferences: z.number() }),
    operationalKgCO2ePerInference: z.number().meta({ description: 'E·I per R' }),
    kgCO2ePerInference: z.number().meta({ description: 'SCI: (E·I + M) per R' }),
    trainingKgCO2ePerInference: z.number().meta({ description: 'not part of SCI; for comparison' }),
  })
  .meta({ description: 'Software Carbon Intensity per inference, each term named' });

export const perInferenceSchema = z.strictObject({ energy: energyPerInferenceSchema, sci: sciSchema.nullable() });

/** The calculator's answer: a footprint, with perInference when inferencesPerS is given. */
export const calculationSchema = footprintSchema.extend({ perInference: perInferenceSchema.optional() });

/** src/ingest/import/import-run.ts ImportSummary. */
export const importSummarySchema = z.strictObject({
  deviceId: z.string(),
  format: z.enum(IMPORT_FORMATS),
  instrument: z.enum(INSTRUMENT_IDS).nullable(),
  windows: z.number(),
  inserted: z.number(),
  duplicates: z.number(),
  startMs: z.number(),
  observedS: z.number(),
  energyJ: z.number(),
  inferences: z.number(),
  samplePeriodS: nullableNumber.meta({ description: "the instrument's sample period, when the files say" }),
  notes: z.array(z.string()),
});

export const deviceFootprintSchema = z.strictObject({
  device: deviceSchema,
  aggregate: aggregateSchema.nullable(),
  status: deviceStatusSchema,
  footprint: footprintSchema,
  powerUncertainty: powerUncertaintySchema.nullable(),
  perInference: perInferenceSchema.nullable(),
});

const fleetRowSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  fleet: z.string().nullable(),
  system: z.string(),
  grid: z.string(),
  online: z.boolean(),
  presence: presenceSchema.nullable(),
  lastSeenMs: nullableNumber,
  coverage: nullableNumber,
  powerKind: z.enum(['assumed', 'given', 'measured']),
  powerW: z.number(),
  observedS: z.number(),
  windows: z.number(),
  energyJ: z.number(),
  inferences: z.number(),
  totalKgCO2e: z.number(),
  totalRange: rangeSchema,
  assumedTotalKgCO2e: z.number(),
  useKgCO2e: z.number(),
  batteryReplacements: z.number(),
  accruedKgCO2e: nullableNumber,
  error: z.string().nullable(),
});

const fleetTotals = {
  devices: z.number(),
  errors: z.number(),
  online: z.number(),
  measured: z.number(),
  assumed: z.number(),
  totalKgCO2e: z.number(),
  totalRange: rangeSchema,
  assumedTotalKgCO2e: z.number(),
  accruedKgCO2e: z.number(),
  accruedAtMs: z.number().meta({ description: 'every device in accruedKgCO2e was accrued to at least this time (epoch ms); rows are accrued to computedAtMs' }),
  energyJ: z.number(),
  observedS: z.number(),
  averagePowerW: nullableNumber,
};

/** GET /api/fleet: the totals of the fleet (or of one MQTT fleet) and, unless `rows=false`, one page of rows. */
export const fleetSchema = z.strictObject({
  ...fleetTotals,
  computedAtMs: z.number(),
  registeredDevices: z.number(),
  complete: z.boolean().meta({
    description:
      "false while the service is still loading the fleet at startup (the totals and rows cover `devices` of the `registeredDevices`), and for the few turns in which it counts every device's online state again after the clock stepped back (`online` then mixes both times)",
  }),
  syncedAtMs: nullableNumber.meta({
    description:
      'several instances on a shared store: everything the shared database held at this time (epoch ms, the start of the last periodic sync) is in the totals and rows; null on a single-machine store (exact: change-driven)',
  }),
  syncIntervalMs: nullableNumber.meta({
    description: 'the staleness bound: syncs run this often (ms), so syncedAtMs is at most this plus one sync old; null on a single-machine store',
  }),
  truncated: z.boolean().meta({ description: 'the rows are one page: rows that matched lie before or after it' }),
  matched: z.number().meta({ description: 'rows that pass the filters (fleet, q, status)' }).optional(),
  offset: z.number().optional(),
  rows: z.array(fleetRowSchema).optional(),
});

const stateCounts = {
  online: z.number().meta({ description: 'reporting: the last window within the online threshold, and no last will' }),
  stale: z.number().meta({ description: 'connected by its MQTT status, but no window within the online threshold: its figures are old' }),
  offline: z
    .number()
    .meta({ description: 'its last will fired or it said offline, or (without MQTT status) its last window aged past the threshold, or it never reported' }),
};

/** GET /api/fleet/overview: the fleet at a glance. */
export const fleetOverviewSchema = z.strictObject({
  computedAtMs: z.number(),
  onlineThresholdMs: z.number(),
  complete: z.boolean().meta({
    description:
      "false while the service is still loading the fleet at startup, for the few turns in which it counts every device's state again after the clock stepped back (the counts then cover part of the fleet, or mix both times), and in which it finds the latest window again of a group whose latest device left (lastSeenMs is then its old, too late value)",
  }),
  states: z.strictObject(stateCounts),
  lastSeenMs: nullableNumber.meta({ description: 'the latest window end over the fleet (epoch ms)' }),
  power: z.strictObject({
    edgesW: z.array(z.number()).meta({ description: 'lower edge of each bin (W, a 1-2-5 series); bin i holds edgesW[i] ≤ measured power < edgesW[i + 1]' }),
    counts: z.array(z.number()).meta({ description: 'measured devices per bin (one fewer than edgesW)' }),
    below: z.number().meta({ description: 'measured devices below the first edge' }),
    above: z.number().meta({ description: 'measured devices at or above the last edge' }),
    measured: z.number(),
    assumed: z.number().meta({ description: 'devices without measured power (not in the bins)' }),
  }),
  fleets: z.array(
    z.strictObject({
      fleet: z.string().nullable().meta({ description: 'the MQTT fleet; null: devices in none' }),
      devices: z.number(),
      ...stateCounts,
      measured: z.number(),
      totalKgCO2e: z.number(),
      assumedTotalKgCO2e: z.number(),
      energyJ: z.number(),
      observedS: z.number(),
      averagePowerW: nullableNumber,
      lastSeenMs: nullableNumber,
    }),
  ),
  onlineHistory: z.strictObject({
    stepMs: z.number(),
    samples: z
      .array(z.strictObject({ atMs: z.number(), online: z.number(), devices: z.number() }))
      .meta({ description: 'online devices (by MQTT status or last window) every stepMs since the service started, oldest first, at most 6 h' }),
  }),
});

const sourceStatusSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['serial', 'mqtt', 'http', 'broker', 'store', 'log']),
  state: z.string(),
  counters: z.record(z.string(), z.number()),
  rejected: z.record(z.string(), z.number()),
  lastError: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** GET /livez: the process answers. */
export const livenessSchema = z.strictObject({ status: z.literal('ok') });

/** GET /readyz: 200 when the store is open, every layer started and no shutdown is under way; else 503, same shape. */
export const readinessSchema = z.strictObject({
  status: z.enum(['ready', 'not-ready']),
  store: z.enum(['open', 'closed']),
  draining: z.boolean(),
  layers: z.record(z.string(), z.enum(['starting', 'started', 'stopping', 'stopped'])),
});

export const healthSchema = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptimeS: z.number(),
  store: z.strictObject({ kind: z.string(), ok: z.boolean(), devices: nullableNumber, error: z.string().nullable() }),
  ingest: z.strictObject({
    windowsInserted: z.number(),
    windowsDuplicate: z.number(),
    windowsSeqReset: z.number(),
    windowsRejected: z.number(),
    rejectedByReason: z.record(z.string(), z.number()),
    lastRejection: z.string().nullable(),
    devicesAnnounced: z.number(),
    submitsOverloaded: z.number(),
    commits: z.number(),
  }),
  live: z.strictObject({ listeners: z.number(), listenerErrors: z.number() }),
  sources: z.array(sourceStatusSchema),
});

const levelSchema = z.strictObject({
  level: z.number(),
  content: z.string(),
  kgCO2e: rangeSchema.nullable(),
  provenance: provenanceSchema,
  isBattery: z.boolean().optional(),
  batteryCapacityWh: rangeSchema.optional(),
  batteryCapacityProvenance: provenanceSchema.optional(),
});

const namedProvenance = z.strictObject({ id: z.string(), label: z.string(), kgCO2e: z.number(), provenance: provenanceSchema });

export const catalogueSchema = z.strictObject({
  sources: z.record(z.string(), z.strictObject({ dataset: z.string(), citation: z.string(), description: z.string(), basedOn: z.string().optional() })),
  systems: z.array(
    z.strictObject({
      id: z.string(),
      label: z.string(),
      application: z.string(),
      scenario,
      training: z.string(),
      blocks: z.record(z.string(), z.number()),
      provenance: provenanceSchema,
    }),
  ),
  blocks: z.array(z.strictObject({ id: z.string(), label: z.string(), group: z.enum(['embodied', 'transport']), levels: z.array(levelSchema) })),
  training: z.strictObject({
    presets: z.array(namedProvenance),
    runs: z.array(z.strictObject({ id: z.string(), model: z.string(), gpu: z.string(), hours: z.number(), energyKWh: z.number() })),
    gridRangeKgPerKWh: z.strictObject({ min: z.number(), max: z.number() }),
    provenance: provenanceSchema,
  }),
  referenceDevices: z.array(namedProvenance),
  assumptions: z.strictObject({
    assumedPowerW: z.number(),
    assumedPowerProvenance: provenanceSchema,
    lifetimeYears: z.number(),
    secondsPerYear: z.number(),
    lifetimeProvenance: provenanceSchema,
    endOfLifeKgCO2e: z.number(),
    endOfLifeMaxShare: z.number(),
    endOfLifeProvenance: provenanceSchema,
    batteryCycleLife: z.number(),
    batteryProvenance: provenanceSchema,
    batteryCalendarLifeYears: z.number(),
    batteryCalendarLifeProvenance: provenanceSchema,
    batterySelfDischargePerMonth: z.number(),
    batteryMeanStateOfCharge: z.number(),
    batterySelfDischargeProvenance: provenanceSchema,
    chargerEfficiency: z.number(),
    chargerProvenance: provenanceSchema,
  }),
  grids: z.strictObject({ default: gridFactorSchema, count: z.number(), list: z.string() }),
});

export const gridListSchema = z.strictObject({
  grids: z.array(
    z.strictObject({
      id: z.string(),
      label: z.string(),
      kgCO2ePerKWh: z.number(),
      gas: gridFactorSchema.shape.gas,
      scope: gridFactorSchema.shape.scope,
      year: nullableNumber,
      dataset: z.string(),
    }),
  ),
});

export const mqttCredentialsSchema = z.strictObject({
  deviceId: z.string(),
  username: z.string(),
  password: z.string(),
  fleet: z.string().nullable(),
  brokerPort: nullableNumber,
  topicPrefix: z.string(),
});

export const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.string()).optional(),
});

/**
 * Compile-time ties between the schemas and the types the code returns: each must be assignable both ways, so a
 * required field missing on either side, or typed differently, fails the type check (an optional field added to a
 * domain type is caught by the strict objects in the response test instead).
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesMatch: {
  footprint: Same<z.infer<typeof footprintSchema>, FootprintResult>;
  device: Same<z.infer<typeof deviceSchema>, Device>;
  aggregate: Same<z.infer<typeof aggregateSchema>, DeviceAggregate>;
  window: Same<z.infer<typeof storedWindowSchema>, EnergyWindow>;
  submit: Same<z.infer<typeof submitResultSchema>, SubmitResult>;
  deviceFootprint: Same<z.infer<typeof deviceFootprintSchema>, DeviceFootprint>;
  importSummary: Same<z.infer<typeof importSummarySchema>, ImportSummary>;
  calculation: Same<z.infer<typeof calculationSchema>, Calculation>;
  fleetRow: Same<z.infer<typeof fleetRowSchema>, FleetDeviceRow>;
  fleetTotals: Same<z.infer<z.ZodObject<typeof fleetTotals>>, FleetTotals>;
  fleetOverview: Same<z.infer<typeof fleetOverviewSchema>, FleetOverview>;
  source: Same<z.infer<typeof sourceStatusSchema>, SourceStatus>;
  assumptions: Same<z.infer<typeof catalogueSchema>['assumptions'], LifecycleAssumptions>;
  gridEntry: Same<z.infer<typeof gridListSchema>['grids'][number], GridZoneEntry>;
} = {
  footprint: true,
  device: true,
  aggregate: true,
  window: true,
  submit: true,
  deviceFootprint: true,
  importSummary: true,
  calculation: true,
  fleetRow: true,
  fleetTotals: true,
  fleetOverview: true,
  source: true,
  assumptions: true,
  gridEntry: true,
};
void typesMatch;
