/** Limits of the HTTP API: every one with its unit and the reason for its value. Documented in README's limits table. */

/** Bytes: 1 000 windows of ~250 bytes fit; anything larger is not a telemetry batch. */
export const MAX_BODY_BYTES = 512 * 1024;
/** Windows per HTTP ingest request: bounds one transaction's work and latency. */
export const MAX_WINDOWS_PER_REQUEST = 1_000;
/**
 * Devices per bulk registration (POST /api/devices with an array): a device is ~60–250 bytes of JSON, so 2 000 stay
 * under MAX_BODY_BYTES; one request is one transaction. A manifest of 100 000 devices takes 50 requests.
 */
export const MAX_DEVICES_PER_REQUEST = 2_000;
/** Devices per page of GET /api/devices and /api/fleet: a 10 000-device fleet in one dashboard load. */
export const MAX_PAGE_SIZE = 20_000;
export const DEFAULT_PAGE_SIZE = 1_000;
/** Windows returned by GET /api/devices/:id/windows at most, and by default (about 17 minutes of 10 s windows). */
export const MAX_WINDOWS_LISTED = 10_000;
export const DEFAULT_WINDOWS_LISTED = 100;
/** Windows per page of GET /api/devices/:id/windows?from=&to= without `limit`: a day of 10 s windows in nine pages. */
export const DEFAULT_WINDOWS_PAGE = 1_000;
/**
 * Buckets one series may span ((to − from) / step), empty ones included: a month at 5 min is 8 640. Bounds the answer
 * (only buckets holding windows are sent) and, with the step, the span of windows one query sums.
 */
export const MAX_SERIES_BUCKETS = 10_000;
/** Buckets of a series whose step is not given: a day at 5 min. */
export const DEFAULT_SERIES_BUCKETS = 288;
/** Longest series step (s): 366 days, a yearly bucket. */
export const MAX_SERIES_STEP_S = 366 * 86_400;
/** Rows per page of GET /api/fleet at most: about 400 KB of JSON, serialised in a few ms (the dashboard asks for what it shows). */
export const MAX_FLEET_PAGE_ROWS = 2_000;
/** Rows per page of GET /api/fleet when the client names no limit. */
export const DEFAULT_FLEET_PAGE_ROWS = 1_000;
/** Distinct fleet page queries whose answer is shared at once: queries are client-chosen, so this is bounded. */
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
