/**
 * Wire contract v1 limits (firmware-protocol/SPEC.md §3.1 limits, §3.3 ranges, §5 JSON size). Every bound is the
 * same on the wire, in the JSON form, in the C encoder (firmware-protocol/c/tmf.h) and in the golden vectors.
 */

/** Protocol version carried by `$TMF1` and by JSON `"v"`. */
export const PROTOCOL_VERSION = 1;

/** Longest accepted line in bytes, terminator excluded. A hello with maximal strings is 158 bytes, a window with maximal values 88; the rest is slack for v1 additions. */
export const MAX_LINE_BYTES = 200;
/** Longest accepted MQTT JSON payload in bytes: a window message with maximal values is ~260 bytes. */
export const MAX_JSON_BYTES = 1024;

/** Device ids: `[A-Za-z0-9_.-]{1,64}` (they become MQTT topic levels and URL path segments). */
export const MAX_DEVICE_ID_CHARS = 64;
/** The one device-id pattern of the project (protocol, HTTP, MQTT topics, credentials). */
/** Ids made only of dots (`.`, `..`) are refused: URLs normalise them away and file systems give them a meaning. */
export const DEVICE_ID_PATTERN = new RegExp(`^(?!\\.+$)[A-Za-z0-9_.-]{1,${MAX_DEVICE_ID_CHARS}}$`);
/** Board and firmware strings: printable ASCII without space , * $ " \ — 1..32 chars. */
export const MAX_LABEL_CHARS = 32;

export const UINT32_MAX = 4_294_967_295;
/** Supply voltage in mV: uint16 (covers 0..65.5 V; MCU rails are 1.8–5 V). */
export const MAX_SUPPLY_MV = 65_535;
/** Sample voltage in mV: uint16, as supply. */
export const MAX_SAMPLE_MV = 65_535;
/** Sample current in µA: 10 A, beyond any USB- or battery-powered MCU board. */
export const MAX_SAMPLE_UA = 10_000_000;
/** Power in µW: 100 W (matches src/model MAX_POWER_W). */
export const MAX_POWER_UW = 100_000_000;
/** Sample period in µs: 0 means unknown / not sampling; at most 60 s. */
export const MAX_SAMPLE_PERIOD_US = 60_000_000;
/** Window duration in ms: 1 ms .. 1 day. */
export const MIN_WINDOW_DURATION_MS = 1;
export const MAX_WINDOW_DURATION_MS = 86_400_000;
/** Window energy in µJ: 100 W for one day (8.64e12) rounded up; < 2^53 so exact as a JS number and fits uint64 in C. */
export const MAX_WINDOW_ENERGY_UJ = 10_000_000_000_000;
/** Window start (JSON `start_ms`): 2000-01-01 .. 2100-01-01 UTC. A device without a set clock omits the field. */
export const MIN_START_MS = 946_684_800_000;
export const MAX_START_MS = 4_102_444_800_000;
