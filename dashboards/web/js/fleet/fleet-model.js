/** Pure fleet-table logic: merge live rows, filter, sort, totals. No DOM. */

import { isOnline as lastSeenOnline } from '../online.js';

/**
 * @typedef {{ min: number, typical: number, max: number }} Range
 * @typedef {import('../online.js').Presence} Presence
 * @typedef {{ id: string, name: string, fleet: string | null, system: string, grid: string, online: boolean,
 *   presence?: Presence | null, lastSeenMs: number | null, coverage: number | null, powerKind: 'assumed' | 'given' | 'measured', powerW: number,
 *   observedS: number, windows: number, energyJ: number, inferences: number, totalKgCO2e: number, totalRange: Range,
 *   assumedTotalKgCO2e: number, useKgCO2e: number, batteryReplacements: number, accruedKgCO2e: number | null,
 *   error: string | null }} FleetRow
 * @typedef {'id' | 'status' | 'lastSeen' | 'coverage' | 'power' | 'total' | 'accrued' | 'ratio'} SortKey
 * @typedef {'all' | 'online' | 'offline' | 'measured' | 'assumed' | 'above'} StatusFilter
 */

/**
 * Keep the newer of two versions of a row: more windows wins (the count only grows), then the later last-seen.
 * Lets a snapshot fetched after the stream opened never overwrite a fresher streamed row.
 * @param {FleetRow | undefined} current @param {FleetRow} incoming
 */
export function newerRow(current, incoming) {
  if (current === undefined) return incoming;
  if (incoming.windows !== current.windows) return incoming.windows > current.windows ? incoming : current;
  const presenceOrder = (incoming.presence?.sinceMs ?? 0) - (current.presence?.sinceMs ?? 0);
  if (presenceOrder !== 0) return presenceOrder > 0 ? incoming : current; // a newer presence report (a last will) wins
  return (incoming.lastSeenMs ?? 0) >= (current.lastSeenMs ?? 0) ? incoming : current;
}

/**
 * Online now: by the device's reported presence (MQTT status, last will) when there is one, else the last window
 * ended within the server's threshold (clock offset applied).
 * @param {FleetRow} row @param {number} serverNowMs @param {number} thresholdMs
 */
export function isOnline(row, serverNowMs, thresholdMs) {
  return lastSeenOnline(row.lastSeenMs, serverNowMs, thresholdMs, row.presence);
}

/**
 * @param {FleetRow[]} rows
 * @param {{ text: string, status: StatusFilter, assumedPowerW: number, serverNowMs: number, thresholdMs: number }} filter
 */
export function filterRows(rows, filter) {
  const text = filter.text.trim().toLowerCase();
  return rows.filter((row) => {
    if (text !== '') {
      const haystack = `${row.id} ${row.name} ${row.system} ${row.fleet ?? ''} ${row.grid}`.toLowerCase();
      if (!haystack.includes(text)) return false;
    }
    switch (filter.status) {
      case 'online':
        return isOnline(row, filter.serverNowMs, filter.thresholdMs);
      case 'offline':
        return !isOnline(row, filter.serverNowMs, filter.thresholdMs);
      case 'measured':
        return row.powerKind === 'measured';
      case 'assumed':
        return row.powerKind !== 'measured';
      case 'above':
        return row.powerKind === 'measured' && row.powerW > filter.assumedPowerW;
      default:
        return true;
    }
  });
}

/** @type {Record<SortKey, (row: FleetRow) => number | string>} */
const SORT_VALUE = {
  id: (row) => row.id,
  status: (row) => row.lastSeenMs ?? -Infinity,
  lastSeen: (row) => row.lastSeenMs ?? -Infinity,
  coverage: (row) => row.coverage ?? -1,
  power: (row) => row.powerW,
  total: (row) => row.totalKgCO2e,
  accrued: (row) => row.accruedKgCO2e ?? -1,
  ratio: (row) => row.powerW,
};

/**
 * Sort in place, ties broken by id so the order is stable across live updates.
 * @param {FleetRow[]} rows @param {SortKey} key @param {1 | -1} direction
 */
export function sortRows(rows, key, direction) {
  const value = SORT_VALUE[key];
  return rows.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const order = va < vb ? -1 : va > vb ? 1 : 0;
    if (order !== 0) return order * direction;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/**
 * Fleet totals over the given rows.
 * @param {Iterable<FleetRow>} rows @param {number} serverNowMs @param {number} thresholdMs
 */
export function totals(rows, serverNowMs, thresholdMs) {
  const sum = {
    devices: 0,
    online: 0,
    measured: 0,
    totalKgCO2e: 0,
    min: 0,
    max: 0,
    assumedTotalKgCO2e: 0,
    accruedKgCO2e: 0,
    energyJ: 0,
    observedS: 0,
    errors: 0,
  };
  for (const row of rows) {
    sum.devices += 1;
    if (row.error !== null) sum.errors += 1;
    if (isOnline(row, serverNowMs, thresholdMs)) sum.online += 1;
    if (row.powerKind === 'measured') sum.measured += 1;
    sum.totalKgCO2e += row.totalKgCO2e;
    sum.min += row.totalRange.min;
    sum.max += row.totalRange.max;
    sum.assumedTotalKgCO2e += row.assumedTotalKgCO2e;
    sum.accruedKgCO2e += row.accruedKgCO2e ?? 0;
    sum.energyJ += row.energyJ;
    sum.observedS += row.observedS;
  }
  return { ...sum, averagePowerW: sum.observedS > 0 ? sum.energyJ / sum.observedS : null };
}
