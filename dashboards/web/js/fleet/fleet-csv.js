import { getJson } from '../api.js';
import { rowState } from './fleet-state.js';

/** Rows per request of the export: GET /api/fleet's largest page (src/http/limits.ts MAX_FLEET_PAGE_ROWS). */
export const EXPORT_PAGE_ROWS = 2_000;

/** @typedef {import('./fleet-model.js').FleetRow} FleetRow */

/** The export's columns, in the API's units (W, J, s, kg CO2e, epoch ms as ISO 8601). */
export const CSV_COLUMNS = [
  'id',
  'name',
  'fleet',
  'system',
  'grid',
  'state',
  'lastSeen',
  'coverage',
  'powerKind',
  'powerW',
  'observedS',
  'windows',
  'energyJ',
  'inferences',
  'energyPerInferenceJ',
  'totalKgCO2e',
  'totalMinKgCO2e',
  'totalMaxKgCO2e',
  'assumedTotalKgCO2e',
  'useKgCO2e',
  'accruedKgCO2e',
  'error',
];

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading =+-@ is prefixed with ' (no spreadsheet formulas). @param {unknown} value */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  if (/^[=+\-@]/.test(text) && typeof value !== 'number') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** @param {FleetRow} row @param {number} serverNowMs @param {number} thresholdMs */
function csvRecord(row, serverNowMs, thresholdMs) {
  return [
    row.id,
    row.name,
    row.fleet,
    row.system,
    row.grid,
    rowState(row, serverNowMs, thresholdMs),
    row.lastSeenMs === null ? null : new Date(row.lastSeenMs).toISOString(),
    row.coverage,
    row.powerKind,
    row.powerW,
    row.observedS,
    row.windows,
    row.energyJ,
    row.inferences,
    row.inferences > 0 ? row.energyJ / row.inferences : null,
    row.totalKgCO2e,
    row.totalRange.min,
    row.totalRange.max,
    row.assumedTotalKgCO2e,
    row.useKgCO2e,
    row.accruedKgCO2e,
    row.error,
  ]
    .map(csvField)
    .join(',');
}

/** @param {FleetRow[]} rows @param {number} serverNowMs @param {number} thresholdMs */
export function fleetCsv(rows, serverNowMs, thresholdMs) {
  return [CSV_COLUMNS.join(','), ...rows.map((row) => csvRecord(row, serverNowMs, thresholdMs))].join('\r\n') + '\r\n';
}

/**
 * Every row of the table's query (its filter and order), fetched a page at a time, as one CSV download.
 * @param {string} search the table's query (sort, dir, q, status, fleet) @param {number} thresholdMs
 */
export async function downloadFleetCsv(search, thresholdMs) {
  /** @type {FleetRow[]} */
  const rows = [];
  let computedAtMs = Date.now();
  for (let offset = 0; ; offset += EXPORT_PAGE_ROWS) {
    const page = await getJson(`/api/fleet?${search}&offset=${offset}&limit=${EXPORT_PAGE_ROWS}`);
    if (offset === 0) computedAtMs = page.computedAtMs;
    rows.push(...page.rows);
    if (page.rows.length < EXPORT_PAGE_ROWS || rows.length >= page.matched) break;
  }
  const blob = new Blob([fleetCsv(rows, computedAtMs, thresholdMs)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `fleet-${new Date(computedAtMs).toISOString().replace(/[:.]/g, '-')}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  return rows.length;
}
