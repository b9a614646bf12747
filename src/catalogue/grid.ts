import { averageIntensity, electricityMaps } from '@tgwf/co2/data';
import { z } from 'zod';
import emberYearsJson from '../../data/ember-years-tgwf-co2.json' with { type: 'json' };
import epaFile from '../../data/epa-electricity-consumed.json' with { type: 'json' };
import { ValidationError } from '../domain/errors.js';
import type { GridFactor, GridGas, GridScope } from '../model/catalogue-types.js';
import { MAX_GRID_KG_PER_KWH } from '../model/limits.js';

const G_PER_KG = 1000;
const KG_PER_TONNE = 1000;
const KWH_PER_MWH = 1000;
/** EPA states its factors to 3 significant digits; a derivation is checked at that precision. */
const EPA_SIGNIFICANT_DIGITS = 3;
/** The @tgwf/co2 release whose Ember years data/ember-years-tgwf-co2.json carries (the test checks the installed one). */
export const CO2JS_VERSION = emberYearsJson.packageVersion;
const EMBER_YEARS: Readonly<Record<string, number>> = emberYearsJson.years;
/** Ember: lifecycle emissions factors (IPCC AR5), all greenhouse gases as CO2e, domestic production mix. */
const EMBER_GAS: GridGas = 'CO2e';
const EMBER_SCOPE: GridScope = 'lifecycle';
/** Electricity Maps' yearly carbon intensity: by default lifecycle emission factors, flow-traced consumption mix, CO2e. */
const ELECTRICITY_MAPS_GAS: GridGas = 'CO2e';
const ELECTRICITY_MAPS_SCOPE: GridScope = 'lifecycle';
/** The Electricity Maps yearly vintage used for `em:<zone>` when none is named. */
export const DEFAULT_ELECTRICITY_MAPS_YEAR = 2024;
const ELECTRICITY_MAPS_YEARS = [2021, 2022, 2023, 2024, 2025] as const;

export const DEFAULT_GRID = 'epa';

interface ElectricityMapsYear {
  data: Record<string, { zone?: { zoneName?: string; countryName?: string }; carbonIntensity?: { value?: number } }>;
}

function electricityMapsYear(year: number): ElectricityMapsYear | undefined {
  const key = `yearly${year}`;
  return electricityMaps[key];
}

const derivationSchema = z.object({ lbCO2PerMWh: z.number().positive(), lbPerTonne: z.number().positive(), gridLossFraction: z.number().min(0).lt(1) });
const epaSchema = z.object({
  dataset: z.string(),
  source: z.string(),
  gas: z.enum(['CO2', 'CO2e']),
  scope: z.enum(['direct', 'lifecycle', 'user-defined']),
  default: z.string(),
  defaultReason: z.string(),
  factors: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      tonnesCO2PerKWh: z.number().positive(),
      year: z.number().int(),
      kind: z.enum(['published', 'derived']),
      note: z.string(),
      derivation: derivationSchema.optional(),
      statedTonnesCO2PerKWh: z.number().positive().optional(),
    }),
  ),
});
const epaJson = epaSchema.parse(epaFile);

export type EpaDerivation = z.infer<typeof derivationSchema>;

/** EPA's own arithmetic: output emission rate, converted to tonnes, grossed up by the grid loss, per kWh delivered. */
export function epaTonnesCO2PerKWh(derivation: EpaDerivation): number {
  return derivation.lbCO2PerMWh / derivation.lbPerTonne / (1 - derivation.gridLossFraction) / KWH_PER_MWH;
}

/** A factor that does not follow from its recorded derivation is a data error: refuse to load rather than ship it. */
function checkEpaDerivations(): void {
  for (const factor of epaJson.factors) {
    if (factor.derivation === undefined) continue;
    const derived = Number(epaTonnesCO2PerKWh(factor.derivation).toPrecision(EPA_SIGNIFICANT_DIGITS));
    if (derived !== factor.tonnesCO2PerKWh) {
      throw new Error(`data/epa-electricity-consumed.json: ${factor.id} is ${factor.tonnesCO2PerKWh} but its derivation gives ${derived}`);
    }
  }
}
checkEpaDerivations();

const EPA_GAS: GridGas = epaJson.gas;
const EPA_SCOPE: GridScope = epaJson.scope;

function epaFactor(id: string): GridFactor | undefined {
  const wanted = id === 'epa' ? epaJson.default : id;
  const factor = epaJson.factors.find((candidate) => candidate.id === wanted);
  if (factor === undefined) return undefined;
  const defaultNote = id === 'epa' ? `; default: ${epaJson.defaultReason}` : '';
  return {
    id: factor.id,
    label: factor.label,
    kgCO2ePerKWh: factor.tonnesCO2PerKWh * KG_PER_TONNE,
    gas: EPA_GAS,
    scope: EPA_SCOPE,
    year: factor.year,
    provenance: {
      dataset: epaJson.dataset,
      kind: factor.kind,
      citation: `${epaJson.source}: CO2 only, direct emissions at the plant (no CH4, N2O or upstream emissions)`,
      note: `vintage ${factor.year}: ${factor.note}${defaultNote}`,
    },
  };
}

function emberYear(code: string): number | null {
  return EMBER_YEARS[code] ?? null;
}

function emberFactor(code: string): GridFactor | undefined {
  const upper = code.toUpperCase();
  const gPerKWh = averageIntensity.data[upper];
  if (gPerKWh === undefined) return undefined;
  const year = emberYear(upper);
  return {
    id: upper,
    label: `${upper} grid average (Ember ${year ?? 'year unknown'})`,
    kgCO2ePerKWh: gPerKWh / G_PER_KG,
    gas: EMBER_GAS,
    scope: EMBER_SCOPE,
    year,
    provenance: {
      dataset: 'ember-yearly',
      kind: 'published',
      citation: `Ember yearly average grid intensity, ${year ?? 'year unknown'}: lifecycle CO2e (CC BY-SA 4.0), as bundled by @tgwf/co2 ${CO2JS_VERSION}`,
    },
  };
}

function electricityMapsFactor(spec: string): GridFactor | undefined {
  // em:FR or em-2023:FR
  const match = /^em(?:-(\d{4}))?:(.+)$/i.exec(spec);
  if (match === null) return undefined;
  const year = match[1] === undefined ? DEFAULT_ELECTRICITY_MAPS_YEAR : Number(match[1]);
  const zone = match[2]!.toUpperCase();
  const entry = electricityMapsYear(year)?.data[zone];
  const gPerKWh = entry?.carbonIntensity?.value;
  if (gPerKWh === undefined) return undefined;
  return {
    id: `em-${year}:${zone}`,
    label: `${entry?.zone?.zoneName ?? zone} ${year} (Electricity Maps)`,
    kgCO2ePerKWh: gPerKWh / G_PER_KG,
    gas: ELECTRICITY_MAPS_GAS,
    scope: ELECTRICITY_MAPS_SCOPE,
    year,
    provenance: {
      dataset: `electricity-maps-yearly-${year}`,
      kind: 'published',
      citation: `Electricity Maps yearly zone data ${year}: lifecycle CO2e, flow-traced consumption mix (ODbL), as bundled by @tgwf/co2 ${CO2JS_VERSION}`,
    },
  };
}

function customFactor(spec: string): GridFactor | undefined {
  const match = /^(custom|offgrid):(.+)$/i.exec(spec);
  if (match === null) return undefined;
  const kgCO2ePerKWh = Number(match[2]);
  if (!Number.isFinite(kgCO2ePerKWh) || kgCO2ePerKWh < 0 || kgCO2ePerKWh > MAX_GRID_KG_PER_KWH) {
    throw new ValidationError(`grid "${spec}": the factor must be kg CO2e/kWh in [0, ${MAX_GRID_KG_PER_KWH}]`);
  }
  const kind = match[1]!.toLowerCase();
  return {
    id: `${kind}:${kgCO2ePerKWh}`,
    label: kind === 'offgrid' ? 'Off-grid supply (user factor)' : 'Custom grid factor',
    kgCO2ePerKWh,
    gas: 'CO2e',
    scope: 'user-defined',
    year: null,
    provenance: { dataset: 'user', kind: 'user', citation: `${kind} factor given by the user` },
  };
}

/**
 * Resolve a grid name: `epa` (default EPA vintage), `epa-egrid2019|2021|2022`, an Ember code (`FRA`, `USA`, `WORLD`, `EU`),
 * an Electricity Maps zone `em:FR` / `em-2023:US-CAL-CISO`, or `custom:<kg/kWh>` / `offgrid:<kg/kWh>`.
 */
export function resolveGrid(spec: string): GridFactor {
  const trimmed = spec.trim();
  const factor =
    (/^epa/i.test(trimmed) ? epaFactor(trimmed.toLowerCase()) : undefined) ?? customFactor(trimmed) ?? electricityMapsFactor(trimmed) ?? emberFactor(trimmed);
  if (factor === undefined) {
    throw new ValidationError(`unknown grid "${spec}"`, [
      'use epa, epa-egrid2019, epa-egrid2021, epa-egrid2022, an Ember code such as FRA or WORLD, an Electricity Maps zone such as em:FR, or custom:<kg/kWh>',
    ]);
  }
  return factor;
}

export interface GridZoneEntry {
  id: string;
  label: string;
  kgCO2ePerKWh: number;
  gas: GridGas;
  scope: GridScope;
  year: number | null;
  dataset: string;
}

/** Every grid the catalogue endpoint lists (EPA vintages, Ember codes, the default Electricity Maps year's zones). */
export function listGridZones(): GridZoneEntry[] {
  const entries: GridZoneEntry[] = [];
  for (const factor of epaJson.factors) {
    entries.push({
      id: factor.id,
      label: factor.label,
      kgCO2ePerKWh: factor.tonnesCO2PerKWh * KG_PER_TONNE,
      gas: EPA_GAS,
      scope: EPA_SCOPE,
      year: factor.year,
      dataset: epaJson.dataset,
    });
  }
  for (const [code, gPerKWh] of Object.entries(averageIntensity.data)) {
    const year = emberYear(code);
    entries.push({
      id: code,
      label: `${code} (Ember ${year ?? 'year unknown'})`,
      kgCO2ePerKWh: gPerKWh / G_PER_KG,
      gas: EMBER_GAS,
      scope: EMBER_SCOPE,
      year,
      dataset: 'ember-yearly',
    });
  }
  const em = electricityMapsYear(DEFAULT_ELECTRICITY_MAPS_YEAR);
  for (const [zone, entry] of Object.entries(em?.data ?? {})) {
    const value = entry.carbonIntensity?.value;
    if (value === undefined) continue;
    entries.push({
      id: `em:${zone}`,
      label: `${entry.zone?.zoneName ?? zone} (Electricity Maps ${DEFAULT_ELECTRICITY_MAPS_YEAR})`,
      kgCO2ePerKWh: value / G_PER_KG,
      gas: ELECTRICITY_MAPS_GAS,
      scope: ELECTRICITY_MAPS_SCOPE,
      year: DEFAULT_ELECTRICITY_MAPS_YEAR,
      dataset: `electricity-maps-yearly-${DEFAULT_ELECTRICITY_MAPS_YEAR}`,
    });
  }
  return entries;
}

export const ELECTRICITY_MAPS_VINTAGES: readonly number[] = ELECTRICITY_MAPS_YEARS;
