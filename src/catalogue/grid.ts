import { averageIntensity, electricityMaps } from '@tgwf/co2/data';
import epaJson from '../../data/epa-electricity-consumed.json' with { type: 'json' };
import { ValidationError } from '../domain/errors.js';
import type { GridFactor } from '../model/catalogue-types.js';
import { MAX_GRID_KG_PER_KWH } from '../model/limits.js';

const G_PER_KG = 1000;
const KG_PER_TONNE = 1000;
const CO2JS_VERSION = '0.19.0';
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

function epaFactor(id: string): GridFactor | undefined {
  const wanted = id === 'epa' ? epaJson.default : id;
  const factor = epaJson.factors.find((candidate) => candidate.id === wanted);
  if (factor === undefined) return undefined;
  return {
    id: factor.id,
    label: factor.label,
    kgCO2ePerKWh: factor.tonnesCO2PerKWh * KG_PER_TONNE,
    provenance: { dataset: epaJson.dataset, kind: 'published', citation: epaJson.source, note: `vintage ${factor.year}${id === 'epa' ? `; default: ${epaJson.defaultReason}` : ''}` },
  };
}

function emberFactor(code: string): GridFactor | undefined {
  const upper = code.toUpperCase();
  const gPerKWh = averageIntensity.data[upper];
  if (gPerKWh === undefined) return undefined;
  return {
    id: upper,
    label: `${upper} grid average (Ember)`,
    kgCO2ePerKWh: gPerKWh / G_PER_KG,
    provenance: { dataset: 'ember-yearly', kind: 'published', citation: `Ember yearly average grid intensity (mostly 2024; CC BY-SA 4.0), as bundled by @tgwf/co2 ${CO2JS_VERSION}` },
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
    provenance: { dataset: `electricity-maps-yearly-${year}`, kind: 'published', citation: `Electricity Maps yearly zone data ${year} (ODbL), as bundled by @tgwf/co2 ${CO2JS_VERSION}` },
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
    provenance: { dataset: 'user', kind: 'user', citation: `${kind} factor given by the user` },
  };
}

/**
 * Resolve a grid name: `epa` (default EPA vintage), `epa-egrid2019|2021|2022`, an Ember code (`FRA`, `USA`, `WORLD`, `EU`),
 * an Electricity Maps zone `em:FR` / `em-2023:US-CAL-CISO`, or `custom:<kg/kWh>` / `offgrid:<kg/kWh>`.
 */
export function resolveGrid(spec: string): GridFactor {
  const trimmed = spec.trim();
  const factor = (/^epa/i.test(trimmed) ? epaFactor(trimmed.toLowerCase()) : undefined)
    ?? customFactor(trimmed)
    ?? electricityMapsFactor(trimmed)
    ?? emberFactor(trimmed);
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
  dataset: string;
}

/** Every grid the catalogue endpoint lists (EPA vintages, Ember codes, the default Electricity Maps year's zones). */
export function listGridZones(): GridZoneEntry[] {
  const entries: GridZoneEntry[] = [];
  for (const factor of epaJson.factors) {
    entries.push({ id: factor.id, label: factor.label, kgCO2ePerKWh: factor.tonnesCO2PerKWh * KG_PER_TONNE, dataset: epaJson.dataset });
  }
  for (const [code, gPerKWh] of Object.entries(averageIntensity.data)) {
    entries.push({ id: code, label: `${code} (Ember)`, kgCO2ePerKWh: gPerKWh / G_PER_KG, dataset: 'ember-yearly' });
  }
  const em = electricityMapsYear(DEFAULT_ELECTRICITY_MAPS_YEAR);
  for (const [zone, entry] of Object.entries(em?.data ?? {})) {
    const value = entry.carbonIntensity?.value;
    if (value === undefined) continue;
    entries.push({ id: `em:${zone}`, label: `${entry.zone?.zoneName ?? zone} (Electricity Maps ${DEFAULT_ELECTRICITY_MAPS_YEAR})`, kgCO2ePerKWh: value / G_PER_KG, dataset: `electricity-maps-yearly-${DEFAULT_ELECTRICITY_MAPS_YEAR}` });
  }
  return entries;
}

export const ELECTRICITY_MAPS_VINTAGES: readonly number[] = ELECTRICITY_MAPS_YEARS;
