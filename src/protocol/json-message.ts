/** Parse and validate the JSON form of the v1 messages (MQTT payloads; SPEC.md §5). Pure, bounded. */
import {
  MAX_JSON_BYTES,
  MAX_POWER_UW,
  MAX_SAMPLE_MV,
  MAX_SAMPLE_PERIOD_US,
  MAX_SAMPLE_UA,
  MAX_START_MS,
  MAX_SUPPLY_MV,
  MAX_WINDOW_DURATION_MS,
  MAX_WINDOW_ENERGY_UJ,
  MIN_START_MS,
  MIN_WINDOW_DURATION_MS,
  PROTOCOL_VERSION,
  UINT32_MAX,
} from './limits.js';
import { parseFailure, powerUwFrom } from './messages.js';
import type { ParseFailure, ParsedMessage, SampleMessage } from './messages.js';
import { checkLabel } from './validate.js';

type JsonObject = Record<string, unknown>;

/** Thrown only inside this module to unwind field validation; never escapes. */
class FieldError extends Error {
  constructor(readonly failure: ParseFailure) {
    super(failure.detail);
  }
}

function fail(reason: ParseFailure['reason'], detail: string): never {
  throw new FieldError(parseFailure(reason, detail));
}

function intField(obj: JsonObject, key: string, min: number, max: number): number;
function intField(obj: JsonObject, key: string, min: number, max: number, optional: true): number | undefined;
function intField(obj: JsonObject, key: string, min: number, max: number, optional = false): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    if (optional) return undefined;
    fail('missing_field', `"${key}" is required`);
  }
  if (typeof value !== 'number') fail('bad_type', `"${key}" must be a number`);
  if (!Number.isInteger(value)) fail('bad_number', `"${key}" must be an integer`);
  if (value < min || value > max) fail('out_of_range', `"${key}" must be in ${min}..${max}`);
  return value;
}

function labelField(obj: JsonObject, key: string): string {
  const value = obj[key];
  if (value === undefined || value === null) fail('missing_field', `"${key}" is required`);
  if (typeof value !== 'string') fail('bad_type', `"${key}" must be a string`);
  const problem = checkLabel(key, value);
  if (problem !== null) fail('bad_string', problem);
  return value;
}

function zeroAsNull(value: number | undefined): number | null {
  return value === undefined || value === 0 ? null : value;
}

function decodeHello(obj: JsonObject): ParsedMessage {
  return {
    type: 'hello',
    deviceId: null,
    board: labelField(obj, 'board'),
    firmware: labelField(obj, 'firmware'),
    protocolVersion: PROTOCOL_VERSION,
    supplyMv: zeroAsNull(intField(obj, 'supply_mv', 0, MAX_SUPPLY_MV, true)),
    samplePeriodUs: zeroAsNull(intField(obj, 'sample_period_us', 0, MAX_SAMPLE_PERIOD_US, true)),
  };
}

function decodeSample(obj: JsonObject): SampleMessage {
  const tUs = intField(obj, 't_us', 0, UINT32_MAX);
  const hasUa = obj['ua'] !== undefined;
  const hasUw = obj['uw'] !== undefined;
  if (hasUa && hasUw) fail('inconsistent', 'a sample carries either "ua" or "uw", not both');
  if (hasUw) {
    const mv = intField(obj, 'mv', 0, MAX_SAMPLE_MV, true);
    return { type: 'sample', tUs, powerUw: intField(obj, 'uw', 0, MAX_POWER_UW), mv: mv ?? null, ua: null };
  }
  const mv = intField(obj, 'mv', 0, MAX_SAMPLE_MV);
  const ua = intField(obj, 'ua', 0, MAX_SAMPLE_UA);
  const powerUw = powerUwFrom(mv, ua);
  if (powerUw > MAX_POWER_UW) fail('out_of_range', `mv × ua must not exceed ${MAX_POWER_UW} µW`);
  return { type: 'sample', tUs, powerUw, mv, ua };
}

function decodeWindow(obj: JsonObject): ParsedMessage {
  const seq = intField(obj, 'seq', 0, UINT32_MAX);
  const startMs = intField(obj, 'start_ms', MIN_START_MS, MAX_START_MS, true);
  const durationMs = intField(obj, 'duration_ms', MIN_WINDOW_DURATION_MS, MAX_WINDOW_DURATION_MS);
  const energyUj = intField(obj, 'energy_uj', 0, MAX_WINDOW_ENERGY_UJ);
  const samples = intField(obj, 'samples', 0, UINT32_MAX);
  const minPowerUw = intField(obj, 'min_power_uw', 0, MAX_POWER_UW);
  const maxPowerUw = intField(obj, 'max_power_uw', 0, MAX_POWER_UW);
  const inferences = intField(obj, 'inferences', 0, UINT32_MAX);
  if (minPowerUw > maxPowerUw) fail('inconsistent', '"min_power_uw" exceeds "max_power_uw"');
  return {
    type: 'window',
    seq,
    startMs: startMs ?? null,
    durationMs,
    energyUj,
    samples,
    minPowerUw,
    maxPowerUw,
    inferences,
  };
}

function decodeEvent(obj: JsonObject): ParsedMessage {
  const tUs = intField(obj, 't_us', 0, UINT32_MAX);
  const kind = obj['kind'];
  if (kind === undefined || kind === null) fail('missing_field', '"kind" is required');
  if (kind !== 'begin' && kind !== 'end') fail('bad_type', '"kind" must be "begin" or "end"');
  return { type: 'event', tUs, kind, inference: intField(obj, 'inference', 0, UINT32_MAX) };
}

/**
 * Parse one JSON payload. Unknown extra fields are ignored (forward compatibility); everything else is checked.
 * The device id is not in the payload: the MQTT topic names the device.
 */
export function parseJsonMessage(payload: Buffer | string): ParsedMessage | ParseFailure {
  const byteLength = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
  if (byteLength > MAX_JSON_BYTES) return parseFailure('too_long', `payload exceeds ${MAX_JSON_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return parseFailure('bad_json', 'payload is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return parseFailure('bad_json', 'payload must be a JSON object');
  }
  const obj = value as JsonObject;
  try {
    const version = obj['v'];
    if (version === undefined) fail('missing_field', '"v" is required');
    if (version !== PROTOCOL_VERSION) fail('unsupported_version', `"v" must be ${PROTOCOL_VERSION}`);
    switch (obj['type']) {
      case 'hello':
        return decodeHello(obj);
      case 'sample':
        return decodeSample(obj);
      case 'window':
        return decodeWindow(obj);
      case 'event':
        return decodeEvent(obj);
      case undefined:
        return fail('missing_field', '"type" is required');
      default:
        return fail('unknown_type', '"type" must be hello, sample, window or event');
    }
  } catch (error) {
    if (error instanceof FieldError) return error.failure;
    throw error;
  }
}
