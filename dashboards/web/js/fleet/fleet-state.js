/** Pure: a fleet row's state (online / stale / offline) and whether its "vs assumed" difference matters. No DOM. */

/**
 * @typedef {import('./fleet-model.js').FleetRow} FleetRow
 * @typedef {'online' | 'stale' | 'offline'} DeviceState
 */

/**
 * Share of its lifetime footprint at the assumed power a device's measured difference must reach before the "vs"
 * column calls it out: below it (say ×12 the assumed 1 mW, worth +0.13 kg on 2.66 kg) the power is far off the
 * assumption but the footprint is not, and a wall of red would cry wolf.
 */
export const MATERIAL_DELTA_FRACTION = 0.1;
/** Seconds of observed data below which a measured lifetime is flagged as resting on little data (one hour of windows). */
export const LOW_DATA_S = 3_600;

/**
 * The server's rule (src/service/fleet-overview.ts deviceState): `online` reports (last window within the threshold)
 * and no transport says it left; `stale` its MQTT status says connected but no window came within the threshold;
 * `offline` its last will fired, or without MQTT status its last window aged past the threshold, or it never reported.
 * @param {FleetRow} row @param {number} serverNowMs @param {number} thresholdMs
 * @returns {DeviceState}
 */
export function rowState(row, serverNowMs, thresholdMs) {
  if (row.error) return 'offline';
  const fresh = row.lastSeenMs !== null && serverNowMs - row.lastSeenMs <= thresholdMs;
  if (row.presence) return row.presence.state === 'offline' ? 'offline' : fresh ? 'online' : 'stale';
  return fresh ? 'online' : 'offline';
}

/**
 * Since when the row's figures stopped being live (epoch ms): its last window's end, or its last will if that came later;
 * null while online, or when it never reported.
 * @param {FleetRow} row @param {DeviceState} state
 */
export function staleSinceMs(row, state) {
  if (state === 'online') return null;
  const willMs = row.presence?.state === 'offline' ? row.presence.sinceMs : null;
  if (row.lastSeenMs === null) return willMs;
  return willMs === null ? row.lastSeenMs : Math.min(row.lastSeenMs, willMs);
}

/**
 * What measuring changed in the lifetime footprint: kg CO2e (measured − assumed) and whether it is material
 * (|Δ| ≥ MATERIAL_DELTA_FRACTION of the assumed lifetime footprint). Only measured rows can differ.
 * @param {FleetRow} row
 * @returns {{ deltaKgCO2e: number, material: boolean, direction: 'over' | 'under' | 'same' }}
 */
export function assumedDelta(row) {
  if (row.powerKind !== 'measured' || row.error) return { deltaKgCO2e: 0, material: false, direction: 'same' };
  const deltaKgCO2e = row.totalKgCO2e - row.assumedTotalKgCO2e;
  const material = row.assumedTotalKgCO2e > 0 && Math.abs(deltaKgCO2e) >= MATERIAL_DELTA_FRACTION * row.assumedTotalKgCO2e;
  return { deltaKgCO2e, material, direction: deltaKgCO2e > 0 ? 'over' : deltaKgCO2e < 0 ? 'under' : 'same' };
}

/**
 * The fleet's state for the header and the cards: `online` while any device reports, `stale` when devices exist but
 * none reports (the newest figure is older than the threshold), `empty` without devices.
 * @param {{ online: number, stale: number, offline: number }} states
 * @returns {'online' | 'stale' | 'empty'}
 */
export function fleetState(states) {
  if (states.online + states.stale + states.offline === 0) return 'empty';
  return states.online > 0 ? 'online' : 'stale';
}
