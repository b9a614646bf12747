/**
 * Parse one line of the v1 serial wire format (SPEC.md §3): `$TMF1,<type>,<fields>*hh`.
 * Pure and bounded: the work is O(MAX_LINE_BYTES) whatever the input, and nothing is retained between calls.
 * The terminator (`\n`) is already removed by the splitter; a trailing `\r` is accepted and removed here.
 */
import {
  MAX_LINE_BYTES,
  MAX_POWER_UW,
  MAX_SAMPLE_MV,
  MAX_SAMPLE_PERIOD_US,
  MAX_SAMPLE_UA,
  MAX_SUPPLY_MV,
  MAX_WINDOW_DURATION_MS,
  MAX_WINDOW_ENERGY_UJ,
  MIN_WINDOW_DURATION_MS,
  PROTOCOL_VERSION,
  UINT32_MAX,
} from './limits.js';
import { parseFailure, powerUwFrom } from './messages.js';
import type { ParseFailure, ParsedMessage } from './messages.js';
import { checkDeviceId, checkLabel } from './validate.js';

const CH_DOLLAR = 0x24;
const CH_STAR = 0x2a;
const CH_COMMA = 0x2c;
const CH_CR = 0x0d;
const CH_0 = 0x30;
const CH_9 = 0x39;
/** `$TMF1,X,` — the talker, version and type occupy fixed positions. */
const TYPE_INDEX = 6;
const FIRST_FIELD_INDEX = 8;
/** More digits than this cannot be in range for any field (max is MAX_WINDOW_ENERGY_UJ, 14 digits). */
const MAX_INTEGER_DIGITS = 14;
/** Most fields of any message (hello has 6); one more slot detects "too many". */
const MAX_FIELDS = 8;

/** Field boundaries of the line being parsed; reused to keep the hot path allocation-free. */
const fieldStart = new Int32Array(MAX_FIELDS);
const fieldEnd = new Int32Array(MAX_FIELDS);

/** Sentinel for a field that is not a canonical decimal integer. */
const NOT_A_NUMBER = -1;

function hexValue(code: number): number {
  if (code >= CH_0 && code <= CH_9) return code - CH_0;
  if (code >= 0x41 && code <= 0x46) return code - 0x37; // A-F
  if (code >= 0x61 && code <= 0x66) return code - 0x57; // a-f
  return -1;
}

/** Canonical unsigned decimal: `0` or `[1-9][0-9]*`, at most MAX_INTEGER_DIGITS digits; else NOT_A_NUMBER. */
function readUint(line: string, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > MAX_INTEGER_DIGITS) return NOT_A_NUMBER;
  if (length > 1 && line.charCodeAt(start) === CH_0) return NOT_A_NUMBER;
  let value = 0;
  for (let i = start; i < end; i += 1) {
    const digit = line.charCodeAt(i) - CH_0;
    if (digit < 0 || digit > 9) return NOT_A_NUMBER;
    value = value * 10 + digit;
  }
  return value;
}

/** Decodes field `index` as an integer in [min, max]; returns a ParseFailure otherwise. */
function uintField(line: string, index: number, name: string, min: number, max: number): number | ParseFailure {
  const start = fieldStart[index] as number;
  const end = fieldEnd[index] as number;
  const value = readUint(line, start, end);
  if (value === NOT_A_NUMBER) {
    const raw = line.slice(start, end);
    const isDigitsOnly = /^[0-9]+$/.test(raw) && raw.length > MAX_INTEGER_DIGITS;
    return isDigitsOnly
      ? parseFailure('out_of_range', `${name} must be in ${min}..${max}`)
      : parseFailure('bad_number', `${name} is not an unsigned decimal integer`);
  }
  if (value < min || value > max) return parseFailure('out_of_range', `${name} must be in ${min}..${max}`);
  return value;
}

function fieldText(line: string, index: number): string {
  return line.slice(fieldStart[index], fieldEnd[index]);
}

function fieldCountFailure(type: string, expected: number, got: number): ParseFailure {
  return parseFailure('field_count', `${type} expects ${expected} fields, got ${got}`);
}

function decodeHello(line: string, count: number): ParsedMessage | ParseFailure {
  if (count !== 6) return fieldCountFailure('H', 6, count);
  const deviceId = fieldText(line, 0);
  const idProblem = checkDeviceId(deviceId);
  if (idProblem !== null) return parseFailure('bad_string', idProblem);
  const board = fieldText(line, 1);
  const boardProblem = checkLabel('board', board);
  if (boardProblem !== null) return parseFailure('bad_string', boardProblem);
  const firmware = fieldText(line, 2);
  const firmwareProblem = checkLabel('firmware', firmware);
  if (firmwareProblem !== null) return parseFailure('bad_string', firmwareProblem);
  const version = uintField(line, 3, 'protocol_version', 0, UINT32_MAX);
  if (typeof version !== 'number') return version;
  if (version !== PROTOCOL_VERSION) return parseFailure('unsupported_version', `protocol_version must be ${PROTOCOL_VERSION}`);
  const supplyMv = uintField(line, 4, 'supply_mv', 0, MAX_SUPPLY_MV);
  if (typeof supplyMv !== 'number') return supplyMv;
  const samplePeriodUs = uintField(line, 5, 'sample_period_us', 0, MAX_SAMPLE_PERIOD_US);
  if (typeof samplePeriodUs !== 'number') return samplePeriodUs;
  return {
    type: 'hello',
    deviceId,
    board,
    firmware,
    protocolVersion: version,
    supplyMv: supplyMv === 0 ? null : supplyMv,
    samplePeriodUs: samplePeriodUs === 0 ? null : samplePeriodUs,
  };
}

function decodeSample(line: string, count: number): ParsedMessage | ParseFailure {
  if (count !== 3) return fieldCountFailure('S', 3, count);
  const tUs = uintField(line, 0, 't_us', 0, UINT32_MAX);
  if (typeof tUs !== 'number') return tUs;
  const mv = uintField(line, 1, 'mv', 0, MAX_SAMPLE_MV);
  if (typeof mv !== 'number') return mv;
  const ua = uintField(line, 2, 'ua', 0, MAX_SAMPLE_UA);
  if (typeof ua !== 'number') return ua;
  const powerUw = powerUwFrom(mv, ua);
  if (powerUw > MAX_POWER_UW) return parseFailure('out_of_range', `mv × ua must not exceed ${MAX_POWER_UW} µW`);
  return { type: 'sample', tUs, powerUw, mv, ua };
}

function decodePowerSample(line: string, count: number): ParsedMessage | ParseFailure {
  if (count !== 2) return fieldCountFailure('P', 2, count);
  const tUs = uintField(line, 0, 't_us', 0, UINT32_MAX);
  if (typeof tUs !== 'number') return tUs;
  const powerUw = uintField(line, 1, 'uw', 0, MAX_POWER_UW);
  if (typeof powerUw !== 'number') return powerUw;
  return { type: 'sample', tUs, powerUw, mv: null, ua: null };
}

function decodeWindow(line: string, count: number): ParsedMessage | ParseFailure {
  if (count !== 7) return fieldCountFailure('W', 7, count);
  const seq = uintField(line, 0, 'seq', 0, UINT32_MAX);
  if (typeof seq !== 'number') return seq;
  const durationMs = uintField(line, 1, 'duration_ms', MIN_WINDOW_DURATION_MS, MAX_WINDOW_DURATION_MS);
  if (typeof durationMs !== 'number') return durationMs;
  const energyUj = uintField(line, 2, 'energy_uj', 0, MAX_WINDOW_ENERGY_UJ);
  if (typeof energyUj !== 'number') return energyUj;
  const samples = uintField(line, 3, 'samples', 0, UINT32_MAX);
  if (typeof samples !== 'number') return samples;
  const minPowerUw = uintField(line, 4, 'min_power_uw', 0, MAX_POWER_UW);
  if (typeof minPowerUw !== 'number') return minPowerUw;
  const maxPowerUw = uintField(line, 5, 'max_power_uw', 0, MAX_POWER_UW);
  if (typeof maxPowerUw !== 'number') return maxPowerUw;
  const inferences = uintField(line, 6, 'inferences', 0, UINT32_MAX);
  if (typeof inferences !== 'number') return inferences;
  if (minPowerUw > maxPowerUw) return parseFailure('inconsistent', 'min_power_uw exceeds max_power_uw');
  return { type: 'window', seq, startMs: null, durationMs, energyUj, samples, minPowerUw, maxPowerUw, inferences };
}

function decodeEvent(line: string, count: number): ParsedMessage | ParseFailure {
  if (count !== 3) return fieldCountFailure('E', 3, count);
  const tUs = uintField(line, 0, 't_us', 0, UINT32_MAX);
  if (typeof tUs !== 'number') return tUs;
  const edge = fieldText(line, 1);
  if (edge !== 'B' && edge !== 'E') return parseFailure('bad_string', 'event edge must be B (begin) or E (end)');
  const inference = uintField(line, 2, 'inference', 0, UINT32_MAX);
  if (typeof inference !== 'number') return inference;
  return { type: 'event', tUs, kind: edge === 'B' ? 'begin' : 'end', inference };
}

/** Parse one line (terminator removed; a trailing `\r` is tolerated). */
export function parseLine(rawLine: string): ParsedMessage | ParseFailure {
  let end = rawLine.length;
  if (end > MAX_LINE_BYTES + 1) return parseFailure('too_long', `line exceeds ${MAX_LINE_BYTES} bytes`);
  if (end > 0 && rawLine.charCodeAt(end - 1) === CH_CR) end -= 1;
  if (end > MAX_LINE_BYTES) return parseFailure('too_long', `line exceeds ${MAX_LINE_BYTES} bytes`);
  if (end === 0 || rawLine.charCodeAt(0) !== CH_DOLLAR) return parseFailure('not_message', 'line does not start with $');
  const line = end === rawLine.length ? rawLine : rawLine.slice(0, end);

  // `*hh` must close the line; everything between `$` and `*` must be printable ASCII and is checksummed.
  const star = end - 3;
  if (star < 1 || line.charCodeAt(star) !== CH_STAR) return parseFailure('bad_frame', 'line does not end with *hh');
  const high = hexValue(line.charCodeAt(star + 1));
  const low = hexValue(line.charCodeAt(star + 2));
  if (high < 0 || low < 0) return parseFailure('bad_frame', 'checksum is not two hex digits');
  let sum = 0;
  let fieldCount = 0;
  for (let i = 1; i < star; i += 1) {
    const code = line.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === CH_STAR || code === CH_DOLLAR) {
      return parseFailure('bad_frame', 'non-printable or reserved character inside the frame');
    }
    sum ^= code;
  }
  if (sum !== ((high << 4) | low)) return parseFailure('bad_checksum', 'checksum mismatch');

  if (!line.startsWith('TMF', 1)) return parseFailure('unknown_talker', 'talker is not TMF');
  if (line.charCodeAt(4) !== 0x31 /* '1' */) return parseFailure('unsupported_version', 'only $TMF1 is supported');
  if (line.charCodeAt(5) !== CH_COMMA || line.charCodeAt(TYPE_INDEX + 1) !== CH_COMMA || star < FIRST_FIELD_INDEX) {
    return parseFailure('bad_frame', 'expected $TMF1,<type>,<fields>');
  }

  let start = FIRST_FIELD_INDEX;
  for (let i = FIRST_FIELD_INDEX; i <= star; i += 1) {
    if (i === star || line.charCodeAt(i) === CH_COMMA) {
      if (fieldCount === MAX_FIELDS) return parseFailure('field_count', `more than ${MAX_FIELDS} fields`);
      fieldStart[fieldCount] = start;
      fieldEnd[fieldCount] = i;
      fieldCount += 1;
      start = i + 1;
    }
  }

  switch (line.charCodeAt(TYPE_INDEX)) {
    case 0x53: // S
      return decodeSample(line, fieldCount);
    case 0x50: // P
      return decodePowerSample(line, fieldCount);
    case 0x57: // W
      return decodeWindow(line, fieldCount);
    case 0x45: // E
      return decodeEvent(line, fieldCount);
    case 0x48: // H
      return decodeHello(line, fieldCount);
    default:
      return parseFailure('unknown_type', `unknown message type ${line.charAt(TYPE_INDEX)}`);
  }
}
