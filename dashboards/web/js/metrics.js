/**
 * Counters the tests and the bench read through `window.__dashboard` (no effect on the UI).
 * @type {{ view: string, firstRenderMs: number | null, renders: number, rowsRendered: number, events: number, rowsReceived: number, pointsReceived: number, lastEventAtMs: number | null, helloAtMs: number | null, dropped: number, errors: string[] }}
 */
export const metrics = {
  view: '',
  firstRenderMs: null,
  renders: 0,
  rowsRendered: 0,
  events: 0,
  rowsReceived: 0,
  pointsReceived: 0,
  lastEventAtMs: null,
  /** performance.now() of the first event-stream hello (the bench's critical path). */
  helloAtMs: null,
  dropped: 0,
  errors: [],
};
/** @type {any} */ (window).__dashboard = metrics;

/** Bound on the error list kept for tests (entries). */
const MAX_ERRORS = 20;

/** @param {string} message */
export function recordError(message) {
  metrics.errors.push(message);
  if (metrics.errors.length > MAX_ERRORS) metrics.errors.shift();
}
