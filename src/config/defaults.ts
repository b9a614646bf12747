/** Service defaults: every limit with its unit and the reason for its value. Documented in README's configuration table. */

/** TCP port of the HTTP API and dashboard. */
export const DEFAULT_HTTP_PORT = 8080;
/** Listen on every interface so a dashboard on another machine of the lab can reach it. */
export const DEFAULT_HTTP_HOST = '0.0.0.0';
/** Bytes: 1 000 windows of ~250 bytes fit; anything larger is not a telemetry batch. */
export const MAX_BODY_BYTES = 512 * 1024;
/** Windows per HTTP ingest request: bounds one transaction's work and latency. */
export const MAX_WINDOWS_PER_REQUEST = 1_000;
/** Devices per page of GET /api/devices and /api/fleet: a 10 000-device fleet in one dashboard load. */
export const MAX_PAGE_SIZE = 20_000;
export const DEFAULT_PAGE_SIZE = 1_000;
/** Windows returned by GET /api/devices/:id/windows at most, and by default (about 17 minutes of 10 s windows). */
export const MAX_WINDOWS_LISTED = 10_000;
export const DEFAULT_WINDOWS_LISTED = 100;
/** A device is online when its last window ended less than this ago (ms): 3 missed 10 s windows, plus slack. */
export const ONLINE_THRESHOLD_MS = 60_000;
/** Fleet footprint is recomputed at most this often (ms): it is O(devices) and dashboards poll it. */
export const FLEET_CACHE_TTL_MS = 1_000;
/** Distinct fleet filters cached at once: the filter is client-chosen, so the cache must not grow with it. */
export const MAX_FLEET_CACHE_ENTRIES = 64;
/** Device ids: safe in MQTT topics, URLs and file names (defined once, with the wire protocol's limits). */
export { DEVICE_ID_PATTERN } from '../protocol/limits.js';
/** Longest device or fleet name (characters). */
export const MAX_NAME_LENGTH = 200;
/** Milliseconds a window's start may be in the future (device clocks drift; more is a unit mistake). */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;
/** Seconds one window may span: a day; longer windows hide gaps. */
export const MAX_WINDOW_DURATION_S = 86_400;
/** File name of the generated API token inside the data directory. */
export const API_TOKEN_FILE = 'api-token';
/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = 'tinyml-footprint.sqlite';
