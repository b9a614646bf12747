/** Pure fleet-table logic: merge live rows, online status. No DOM. Filtering, sorting, paging and totals are the server's (GET /api/fleet). */

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
