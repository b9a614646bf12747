import { getJson } from './api.js';
import { ago } from './format.js';
import { recordError } from './metrics.js';
import { fleetState } from './fleet/fleet-state.js';

/**
 * The header's fleet state on every view (GET /api/fleet/overview, polled): "12 of 24 online · 3 stale", or "stale ·
 * 0 of 24 online · last data 2 min ago" once nothing reports, so a stopped fleet never reads as live. The fleet view
 * draws its distribution and history from the same answers (onOverview).
 */

/** Milliseconds between two overview requests: with the online threshold (60 s) this bounds how late "stale" shows. */
export const OVERVIEW_POLL_MS = 2_000;

/** @typedef {{ computedAtMs: number, onlineThresholdMs: number, states: { online: number, stale: number, offline: number }, lastSeenMs: number | null,
 *   power: { edgesW: number[], counts: number[], below: number, above: number, measured: number, assumed: number },
 *   fleets: { fleet: string | null, devices: number, online: number, stale: number, offline: number, measured: number, totalKgCO2e: number,
 *     assumedTotalKgCO2e: number, energyJ: number, observedS: number, averagePowerW: number | null, lastSeenMs: number | null }[],
 *   onlineHistory: { stepMs: number, samples: { atMs: number, online: number, devices: number }[] } }} Overview */

/** @type {Set<(overview: Overview) => void>} */
const listeners = new Set();
/** @type {Overview | null} */
let latest = null;
let timer = 0;
let inFlight = false;

/** @param {(overview: Overview) => void} listener @returns {() => void} unsubscribe */
export function onOverview(listener) {
  listeners.add(listener);
  if (latest) listener(latest);
  return () => listeners.delete(listener);
}

/** Start polling and rendering into the header element (once). @param {HTMLElement} el */
export function startFleetStatus(el) {
  if (timer !== 0) return;
  const poll = async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      const overview = /** @type {Overview} */ (await getJson('/api/fleet/overview'));
      latest = overview;
      render(el, overview);
      for (const listener of listeners) listener(overview);
    } catch (error) {
      recordError(String(error));
      el.dataset['state'] = 'unknown';
      el.textContent = 'fleet status unknown';
      el.title = `GET /api/fleet/overview failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      inFlight = false;
    }
  };
  void poll();
  timer = window.setInterval(() => void poll(), OVERVIEW_POLL_MS);
}

/** @param {HTMLElement} el @param {Overview} overview */
function render(el, overview) {
  const { online, stale, offline } = overview.states;
  const devices = online + stale + offline;
  const state = fleetState(overview.states);
  el.dataset['state'] = state;
  const counts = `${online} of ${devices} online${stale > 0 ? ` · ${stale} stale` : ''}`;
  el.textContent =
    state === 'empty' ? 'no devices' : state === 'stale' ? `stale · ${counts} · last data ${ago(overview.lastSeenMs, overview.computedAtMs)}` : counts;
  el.title =
    `online: reported within ${overview.onlineThresholdMs / 1000} s and no last will; stale: connected by its MQTT status but silent; ` +
    `offline: ${offline} (last will, or no window within ${overview.onlineThresholdMs / 1000} s). Newest window ended ` +
    (overview.lastSeenMs === null ? 'never' : new Date(overview.lastSeenMs).toISOString());
}
