/** Decoded firmware-protocol v1 messages (firmware-protocol/SPEC.md), shared by the line and JSON forms. */

export interface HelloMessage {
  type: 'hello';
  /** From the line form; null in the JSON form (the MQTT topic names the device). */
  deviceId: string | null;
  board: string;
  firmware: string;
  protocolVersion: number;
  /** null when the device sent 0 / omitted it (unknown). */
  supplyMv: number | null;
  /** null when the device sent 0 / omitted it (not sampling, e.g. a window-only node). */
  samplePeriodUs: number | null;
}

/** One power sample. `tUs` is the device's free-running uint32 µs counter (wraps every 2^32 µs ≈ 71.6 min). */
export interface SampleMessage {
  type: 'sample';
  tUs: number;
  /** Power in µW: mv × ua / 1000 for the voltage+current form, or as sent for the power form. */
  powerUw: number;
  mv: number | null;
  ua: number | null;
}

/** A window integrated on the device (a node with an on-board energy counter). */
export interface WindowMessage {
  type: 'window';
  seq: number;
  /** JSON form only, optional; null when absent (the receiver uses receive time − duration). */
  startMs: number | null;
  durationMs: number;
  energyUj: number;
  samples: number;
  minPowerUw: number;
  maxPowerUw: number;
  inferences: number;
}

export type InferenceEdge = 'begin' | 'end';

export interface EventMessage {
  type: 'event';
  tUs: number;
  kind: InferenceEdge;
  inference: number;
}

export type ParsedMessage = HelloMessage | SampleMessage | WindowMessage | EventMessage;

/**
 * Why an input was rejected. `not_message` (boot logs, blank lines) is "ignored", not an error: readers count it
 * separately. The list is closed: SPEC.md §4.4 documents each code, vectors.json uses them.
 */
export const PARSE_REASONS = [
  'not_message',
  'too_long',
  'bad_frame',
  'bad_checksum',
  'unknown_talker',
  'unsupported_version',
  'unknown_type',
  'field_count',
  'bad_number',
  'out_of_range',
  'bad_string',
  'inconsistent',
  'bad_json',
  'missing_field',
  'bad_type',
] as const;

export type ParseReason = (typeof PARSE_REASONS)[number];

export interface ParseFailure {
  type: 'failure';
  reason: ParseReason;
  detail: string;
}

export function parseFailure(reason: ParseReason, detail: string): ParseFailure {
  return { type: 'failure', reason, detail };
}

export function isParseFailure(value: ParsedMessage | ParseFailure): value is ParseFailure {
  return value.type === 'failure';
}

/** mV × µA = nW; /1000 → µW. */
export function powerUwFrom(mv: number, ua: number): number {
  return (mv * ua) / 1000;
}
