/** Limits of the dashboard's live stream (GET /api/events; its client cap MAX_EVENT_CLIENTS is in src/http/limits.ts). Each is a named constant with its unit and reason. */

/** Milliseconds between flushes to each browser: 4 Hz is smoother than the eye needs and bounds browser work. */
export const FLUSH_INTERVAL_MS = 250;
/** Milliseconds between heartbeat comments: below the 30–60 s idle timeouts of common proxies and load balancers. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** Milliseconds the browser waits before reconnecting (sent as the SSE `retry:` field). */
export const RECONNECT_DELAY_MS = 2_000;
/** Devices with an unflushed update held per client: the largest fleet page (MAX_PAGE_SIZE is 20 000) fits; more are dropped and counted. */
export const MAX_PENDING_DEVICES_PER_CLIENT = 20_000;
/** Devices marked changed between two feed ticks: as above, one fleet page. More are dropped and counted. */
export const MAX_DIRTY_DEVICES = 20_000;
/** Power points held per watched device between flushes: 1 kHz sampling × 250 ms; older points are dropped and counted. */
export const MAX_POINTS_PER_DEVICE = 256;
