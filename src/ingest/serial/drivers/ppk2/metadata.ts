/**
 * The PPK2's reply to GetMetadata (0x19): ASCII `Key: value` lines ending in a line `END` (instruments.md §3; the
 * ppk2-rs test vector). Pure: bytes in, calibration out, or an error that says what a PPK2 would have sent.
 *
 * Nordic (`serialDevice.ts getMetadata/parseMeta`) lower-cases keys, reads `-nan` as missing and falls back to
 * defaults for what is missing; IRNAS ignores R values of 0. We do both, and refuse what no PPK2 sends: a line that is
 * not `Key: number`, or no `END` within MAX_METADATA_BYTES.
 */
import { PPK2_RANGES, type Ppk2Mode } from './protocol.js';

/** A real block is ~560 bytes (38 lines); 4 KiB leaves room for newer firmware's extra keys and bounds a stream of garbage. */
export const MAX_METADATA_BYTES = 4096;

/** What a PPK2 sends, for error messages. */
export const METADATA_EXPECTED = '`Key: value` lines (Calibrated: 0, R0: 1003.3506, …, VDD: 3000, HW: 9173, mode: 2, …) ending in a line END';

/** Per-range calibration (Nordic `modifiers`): resistor, gain slope and intercept, offset, VDD slope and intercept, user gain. */
export interface Ppk2Modifiers {
  r: number[];
  gs: number[];
  gi: number[];
  o: number[];
  s: number[];
  i: number[];
  ug: number[];
}

type ModifierKey = keyof Ppk2Modifiers;
const MODIFIER_KEYS: readonly ModifierKey[] = ['r', 'gs', 'gi', 'o', 's', 'i', 'ug'];

/** Nordic's defaults for a kit that does not send a value (`SerialDevice.modifiers`). */
export function defaultModifiers(): Ppk2Modifiers {
  return {
    r: [1031.64, 101.65, 10.15, 0.94, 0.043],
    gs: [1, 1, 1, 1, 1],
    gi: [1, 1, 1, 1, 1],
    o: [0, 0, 0, 0, 0],
    s: [0, 0, 0, 0, 0],
    i: [0, 0, 0, 0, 0],
    ug: [1, 1, 1, 1, 1],
  };
}

export interface Ppk2Metadata {
  /** `Calibrated: 1` (the factory calibration was written); `false` when 0 or absent. */
  calibrated: boolean;
  modifiers: Ppk2Modifiers;
  /** The regulator's voltage when the kit was opened (it seeds the regulator), mV. */
  vddMv: number;
  /** Hardware id (`HW`), null if absent. */
  hardware: number | null;
  /** The mode the kit is in (`mode: 1` ampere, `2` source), null if absent. */
  mode: Ppk2Mode | null;
  /** Keys defaulted because they were absent or `-nan` (R of 0 too), in the kit's spelling. */
  defaulted: string[];
  /** Every key with its value as sent, lower-cased (newer firmware may send keys we do not use). */
  raw: Record<string, number | null>;
}

export class Ppk2MetadataError extends Error {
  constructor(detail: string) {
    super(`not PPK2 metadata: ${detail}; expected ${METADATA_EXPECTED}`);
    this.name = 'Ppk2MetadataError';
  }
}

const LINE = /^([A-Za-z][A-Za-z0-9_]*): (.*)$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;

/** Parses one complete block, `END` line included (text after END is ignored). */
export function parsePpk2Metadata(text: string): Ppk2Metadata {
  const raw: Record<string, number | null> = {};
  let hasEnd = false;
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.replace(/\r$/, '').trim();
    if (trimmed === '') continue;
    if (trimmed === 'END') {
      hasEnd = true;
      break;
    }
    const match = LINE.exec(trimmed);
    if (match === null) throw new Ppk2MetadataError(`line ${index + 1} is ${quote(trimmed)}`);
    const key = match[1]!.toLowerCase();
    const value = match[2]!.trim();
    if (NAN.test(value)) raw[key] = null;
    else if (NUMBER.test(value)) raw[key] = Number(value);
    else throw new Ppk2MetadataError(`line ${index + 1} (${match[1]}) has the value ${quote(value)}, not a number`);
  }
  if (!hasEnd) throw new Ppk2MetadataError('no END line');
  const vdd = raw.vdd;
  if (vdd === undefined || vdd === null) throw new Ppk2MetadataError('no VDD line (the regulator voltage, mV)');
  if (!(vdd > 0)) throw new Ppk2MetadataError(`VDD is ${vdd}`);

  const modifiers = defaultModifiers();
  const defaulted: string[] = [];
  for (const key of MODIFIER_KEYS) {
    for (let range = 0; range < PPK2_RANGES; range += 1) {
      const value = raw[`${key}${range}`];
      // R of 0 would divide by zero (IRNAS: "problem on some PPK2s with wrong calibration values").
      if (value === undefined || value === null || (key === 'r' && value === 0)) {
        defaulted.push(`${key.toUpperCase()}${range}`);
      } else {
        modifiers[key][range] = value;
      }
    }
  }
  const mode = raw.mode === 1 ? 'ampere' : raw.mode === 2 ? 'source' : null;
  if (raw.mode !== undefined && mode === null) throw new Ppk2MetadataError(`mode is ${raw.mode} (1 ampere or 2 source)`);
  return {
    calibrated: raw.calibrated !== undefined && raw.calibrated !== null && raw.calibrated !== 0,
    modifiers,
    vddMv: vdd,
    hardware: raw.hw ?? null,
    mode,
    defaulted,
    raw,
  };
}

/**
 * Collects the reply byte by byte across reads until its `END` line. `push` returns the parsed block once complete
 * (with the bytes after it: the start of whatever the kit sends next), throws Ppk2MetadataError on bytes no PPK2
 * sends (a NUL or control byte: a binary stream, the wrong device) or when MAX_METADATA_BYTES pass without END.
 */
export class MetadataCollector {
  private text = '';

  get bytesSeen(): number {
    return this.text.length;
  }

  push(chunk: Uint8Array): { metadata: Ppk2Metadata; rest: Uint8Array } | null {
    const before = this.text.length;
    this.text += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const end = endOfBlock(this.text);
    const bad = firstNonText(this.text, before, end === -1 ? this.text.length : end);
    if (bad !== -1) {
      throw new Ppk2MetadataError(
        `byte 0x${this.text.charCodeAt(bad).toString(16).padStart(2, '0')} at offset ${bad} after ${quoteTail(this.text.slice(0, bad))}`,
      );
    }
    if (end === -1) {
      // Each complete line must already be `Key: value`: another device (a TMF1 board's lines) fails at its first line.
      const lastNewline = this.text.lastIndexOf('\n');
      if (lastNewline >= before) parseLinesSoFar(this.text.slice(0, lastNewline + 1));
      if (this.text.length > MAX_METADATA_BYTES) throw new Ppk2MetadataError(`${this.text.length} bytes without an END line, starting ${quote(this.text)}`);
      return null;
    }
    const metadata = parsePpk2Metadata(this.text.slice(0, end));
    const restOffset = end - before;
    return { metadata, rest: chunk.subarray(Math.max(0, restOffset)) };
  }
}

/** Throws Ppk2MetadataError at the first complete line that no PPK2 sends (the block is not over yet). */
function parseLinesSoFar(text: string): void {
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.replace(/\r$/, '').trim();
    if (trimmed === '' || LINE.test(trimmed)) continue;
    throw new Ppk2MetadataError(`line ${index + 1} is ${quote(trimmed)}`);
  }
}

/** Offset just past the END line (its newline included), or -1. */
function endOfBlock(text: string): number {
  const match = /(^|\n)END\r?\n/.exec(text);
  return match === null ? -1 : match.index + match[0].length;
}

/** Index of the first byte in [from, to) that is neither printable ASCII nor tab/CR/LF, or -1. */
function firstNonText(text: string, from: number, to: number): number {
  for (let index = from; index < to; index += 1) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code > 0x7e) return index;
  }
  return -1;
}

/** The end of what was received (where it broke), for error messages. */
function quoteTail(text: string): string {
  return JSON.stringify(text.length > 60 ? `…${text.slice(-60)}` : text);
}

/** A short printable rendering of what was received, for error messages. */
function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}
