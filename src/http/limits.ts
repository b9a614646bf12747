/** Limits of the HTTP API: every one with its unit and the reason for its value. Documented in README's limits table. */

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
/** Fleet footprint is recomputed at most this often (ms): it is O(devices) and dashboards poll it. */
export const FLEET_CACHE_TTL_MS = 1_000;
/** Distinct fleet filters cached at once: the filter is client-chosen, so the cache must not grow with it. */
export const MAX_FLEET_CACHE_ENTRIES = 64;
/** Longest device or fleet name (characters). */
export const MAX_NAME_LENGTH = 200;
/**
 * Concurrent event-stream clients (GET /api/events, served by the dashboard): each holds a socket and buffers; more
 * get 503. Here, with the other limits of the API, because the OpenAPI document states it.
 */
export const MAX_EVENT_CLIENTS = 200;
/**
 * Bytes of a POST /api/devices/:id/import body: the files travel base64 in JSON (4/3 of their size), so 32 MiB holds
 * ~24 MiB of files, about 1.6 hours of a 1 kHz EnergyRunner trace; the CLI imports up to MAX_IMPORT_BYTES. Only this
 * route parses bodies this large, and only after the bearer token is checked.
 */
export const MAX_IMPORT_BODY_BYTES = 32 * 1024 * 1024;
/** Files of one import request: an EnergyRunner session's trace, timestamps, log.txt and results.txt. */
export const MAX_IMPORT_FILES = 4;
