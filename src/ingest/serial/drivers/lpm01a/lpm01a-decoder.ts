/**
 * The LPM01A byte stream → samples and messages. Pure: no I/O, no clock; bytes in (cut anywhere), callbacks out.
 *
 * Text mode (replies, and the `ascii_dec` stream, instruments.md §2.1, §2.3): lines split on `\n`, `\r` and NUL
 * stripped (a NUL may precede the first sample after a TimeStamp). A line of the shell starts with the prompt
 * `PowerShield > ` (`ack …`, `error …` / `err …`, `Acquisition completed`); `Error detail: …` follows an error reply.
 * A line starting with a digit holds samples: every `\d{4}[-+]\d{2}` in it is one (several may share a line); any
 * other character left is a partial sample, counted, never guessed. Metadata lines: `TimeStamp: 011s 668ms, buff 00%`,
 * `end`, `summary begin` … `summary end` (the lines between are the summary, not samples), `event NN ris` (the D7
 * event input), `error<text>` (an acquisition error), `pwr on` / `pwr off`.
 *
 * Binary mode (`bin_hexa`, §2.4): entered right after the `ack start` line when `binaryAfterStart` is set (the
 * `\r\n` that ends that reply is skipped); 2-byte big-endian sample words; `F0 Fx` starts metadata ending in `FF FF`
 * (F1 error text, F2 info text, F3 timestamp, F4 end of acquisition, F5 overcurrent, F6 target power down, F7 voltage,
 * F8 temperature, F9 power status). After F4 the summary and prompt come as text: back to text mode.
 */
import { ASCII_SAMPLE_PATTERN, asciiValue, decodeBinarySample } from './lpm01a-codec.js';

/** A text line longer than this is no reply and no sample line (the longest reply, `ack powershield <id>`, is ~50). */
export const LPM01A_MAX_LINE_CHARS = 256;
/** A metadata text (F1/F2) longer than this is cut off and counted. */
const MAX_METADATA_TEXT_BYTES = 256;
const PROMPT = 'PowerShield > ';

export type Lpm01aMessage =
  | { type: 'ack'; text: string }
  | { type: 'error'; text: string }
  | { type: 'errorDetail'; text: string }
  | { type: 'prompt'; text: string }
  | { type: 'timestamp'; ms: number; bufferPct: number | null }
  | { type: 'end' }
  | { type: 'summary'; values: number[] }
  | { type: 'event'; number: number; edge: string }
  | { type: 'acquisitionError'; text: string }
  | { type: 'info'; text: string }
  | { type: 'power'; on: boolean }
  | { type: 'voltage'; mV: number }
  | { type: 'temperature'; degC: number }
  | { type: 'overcurrent' }
  | { type: 'targetPowerDown' }
  /** Not the LPM01A's: a line it never sends (e.g. a TMF1 board's `$TMF1,…`). */
  | { type: 'unknown'; text: string }
  /** Bytes that are no sample: a partial ASCII sample, a reserved binary word, broken metadata, an overlong line. */
  | { type: 'garbage'; what: 'partial_sample' | 'reserved_word' | 'bad_metadata' | 'overlong_line'; bytes: number };

export interface Lpm01aHandler {
  /** One sample value: amperes (`output current`) or joules per sample period (`output energy`). */
  sample(value: number): void;
  message(message: Lpm01aMessage): void;
}

type Mode = 'text' | 'binary';

export class Lpm01aDecoder {
  /** Switch to binary samples after the next `ack start` (`format bin_hexa`). */
  binaryAfterStart = false;
  private mode: Mode = 'text';
  private pendingText = '';
  private isOverlong = false;
  private summary: number[] | null = null;
  private carry: Uint8Array = new Uint8Array(0);
  /** At the start of binary mode: the `\r\n` ending the `ack start` reply may still come. */
  private mayHaveCrlf = false;

  constructor(private readonly handler: Lpm01aHandler) {}

  get isBinary(): boolean {
    return this.mode === 'binary';
  }

  /** Bytes of an unfinished line, word or metadata block (a cut mid-sample leaves some: counted, then dropped). */
  get pendingBytes(): number {
    return this.mode === 'text' ? this.pendingText.length : this.carry.length;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) pos = this.mode === 'text' ? this.pushText(chunk, pos) : this.pushBinary(chunk, pos);
  }

  private pushText(chunk: Uint8Array, pos: number): number {
    const newline = chunk.indexOf(0x0a, pos);
    const end = newline === -1 ? chunk.length : newline;
    if (!this.isOverlong) {
      this.pendingText += Buffer.from(chunk.buffer, chunk.byteOffset + pos, end - pos).toString('latin1');
      if (this.pendingText.length > LPM01A_MAX_LINE_CHARS) {
        this.handler.message({ type: 'garbage', what: 'overlong_line', bytes: this.pendingText.length });
        this.pendingText = '';
        this.isOverlong = true;
      }
    }
    if (newline === -1) return chunk.length;
    const line = this.pendingText;
    this.pendingText = '';
    if (this.isOverlong) this.isOverlong = false;
    else this.line(line.replace(/[\r\0]/g, ''));
    return newline + 1;
  }

  private line(line: string): void {
    if (line === '') return;
    if (line.startsWith(PROMPT)) {
      this.reply(line.slice(PROMPT.length));
      return;
    }
    const first = line.charCodeAt(0);
    if (this.summary !== null) {
      if (line.trim() === 'summary end') {
        this.handler.message({ type: 'summary', values: this.summary });
        this.summary = null;
      } else {
        for (const match of line.matchAll(ASCII_SAMPLE_PATTERN)) this.summary.push(asciiValue(match[1]!, match[2]!, match[3]!));
      }
      return;
    }
    if (first >= 0x30 && first <= 0x39) {
      this.samples(line);
      return;
    }
    this.metadataLine(line.trim());
  }

  private samples(line: string): void {
    let matched = 0;
    for (const match of line.matchAll(ASCII_SAMPLE_PATTERN)) {
      this.handler.sample(asciiValue(match[1]!, match[2]!, match[3]!));
      matched += 7;
    }
    const rest = line.length - matched - (line.length - line.replace(/\s/g, '').length);
    if (rest > 0) this.handler.message({ type: 'garbage', what: 'partial_sample', bytes: rest });
  }

  private reply(text: string): void {
    const trimmed = text.trim();
    if (trimmed.startsWith('ack')) {
      const body = trimmed.slice(3).trim();
      this.handler.message({ type: 'ack', text: body });
      if (this.binaryAfterStart && /^start\b/.test(body)) {
        this.mode = 'binary';
        this.mayHaveCrlf = true;
      }
    } else if (/^err(or)?\b/.test(trimmed)) {
      this.handler.message({ type: 'error', text: trimmed.replace(/^err(or)?\s*/, '') });
    } else {
      this.handler.message({ type: 'prompt', text: trimmed });
    }
  }

  private metadataLine(line: string): void {
    const timestamp = /^TimeStamp:[ ><]?(\d+)s (\d+)ms(?:, buff (\d+)%)?$/.exec(line);
    if (timestamp !== null) {
      const bufferPct = timestamp[3] === undefined ? null : Number(timestamp[3]);
      this.handler.message({ type: 'timestamp', ms: Number(timestamp[1]) * 1000 + Number(timestamp[2]), bufferPct });
      return;
    }
    const event = /^event (\d+) (\w+)$/.exec(line);
    if (event !== null) {
      this.handler.message({ type: 'event', number: Number(event[1]), edge: event[2]! });
      return;
    }
    if (line === 'end') this.handler.message({ type: 'end' });
    else if (line === 'summary begin') this.summary = [];
    else if (line.startsWith('Error detail:')) this.handler.message({ type: 'errorDetail', text: line.slice('Error detail:'.length).trim() });
    else if (line === 'pwr on' || line === 'pwr off') this.handler.message({ type: 'power', on: line === 'pwr on' });
    else if (line.startsWith('error')) this.handler.message({ type: 'acquisitionError', text: line.slice('error'.length).replace(/^[:\s]+/, '') });
    else this.handler.message({ type: 'unknown', text: line });
  }

  private pushBinary(chunk: Uint8Array, pos: number): number {
    const tail = chunk.subarray(pos);
    const bytes = this.carry.length === 0 ? tail : concat(this.carry, tail);
    this.carry = new Uint8Array(0);
    let i = 0;
    if (this.mayHaveCrlf) {
      if (bytes.length < 2) {
        this.carry = bytes.slice();
        return chunk.length;
      }
      if (bytes[0] === 0x0d && bytes[1] === 0x0a) i = 2;
      this.mayHaveCrlf = false;
    }
    const handler = this.handler;
    while (i + 1 < bytes.length) {
      const high = bytes[i]!;
      if (high >>> 4 !== 0xf) {
        handler.sample(decodeBinarySample((high << 8) | bytes[i + 1]!));
        i += 2;
        continue;
      }
      if (high !== 0xf0 || bytes[i + 1]! >>> 4 !== 0xf) {
        handler.message({ type: 'garbage', what: 'reserved_word', bytes: 2 });
        i += 2;
        continue;
      }
      const used = this.metadata(bytes, i);
      if (used === 0) break; // incomplete: wait for more bytes
      i += used;
      if (this.mode === 'text') {
        // End of acquisition: what follows (summary, prompt) is text. Hand the rest of this chunk back to pushText.
        const rest = bytes.subarray(i);
        this.pushTextBytes(rest);
        return chunk.length;
      }
    }
    if (i < bytes.length) this.carry = bytes.slice(i);
    return chunk.length;
  }

  private pushTextBytes(bytes: Uint8Array): void {
    let pos = 0;
    while (pos < bytes.length) pos = this.mode === 'text' ? this.pushText(bytes, pos) : this.pushBinary(bytes, pos);
  }

  /** Metadata at `at` (bytes F0 Fx …): bytes used, or 0 when incomplete. */
  private metadata(bytes: Uint8Array, at: number): number {
    const tag = bytes[at + 1]!;
    const fixed: Record<number, number> = { 0xf3: 5, 0xf4: 0, 0xf5: 0, 0xf6: 0, 0xf7: 2, 0xf8: 2, 0xf9: 1 };
    const length = fixed[tag];
    if (length === undefined) return this.textMetadata(bytes, at, tag);
    const total = 2 + length + 2;
    if (at + total > bytes.length) return 0;
    const body = bytes.subarray(at + 2, at + 2 + length);
    if (bytes[at + 2 + length] !== 0xff || bytes[at + 3 + length] !== 0xff) return this.resync(bytes, at);
    const handler = this.handler;
    switch (tag) {
      case 0xf3:
        handler.message({ type: 'timestamp', ms: ((body[0]! & 0x7f) * 2 ** 24 + (body[1]! << 16) + (body[2]! << 8) + body[3]!) >>> 0, bufferPct: body[4]! });
        break;
      case 0xf4:
        this.mode = 'text';
        handler.message({ type: 'end' });
        break;
      case 0xf5:
        handler.message({ type: 'overcurrent' });
        break;
      case 0xf6:
        handler.message({ type: 'targetPowerDown' });
        break;
      case 0xf7:
        handler.message({ type: 'voltage', mV: (body[0]! << 8) | body[1]! });
        break;
      case 0xf8:
        handler.message({ type: 'temperature', degC: (((body[0]! << 8) | body[1]!) << 16) >> 16 });
        break;
      case 0xf9:
        handler.message({ type: 'power', on: body[0] === 1 });
        break;
    }
    return total;
  }

  /** F1 (error) / F2 (info): text up to `\r\n FF FF`. */
  private textMetadata(bytes: Uint8Array, at: number, tag: number): number {
    for (let j = at + 2; j + 1 < bytes.length; j += 1) {
      if (bytes[j] === 0xff && bytes[j + 1] === 0xff) {
        const text = Buffer.from(bytes.subarray(at + 2, j))
          .toString('latin1')
          .replace(/[\r\n\0]+$/g, '');
        if (tag === 0xf1) this.handler.message({ type: 'acquisitionError', text });
        else if (tag === 0xf2) this.handler.message({ type: 'info', text });
        else this.handler.message({ type: 'garbage', what: 'bad_metadata', bytes: j + 2 - at });
        return j + 2 - at;
      }
      if (j - at > MAX_METADATA_TEXT_BYTES) return this.resync(bytes, at);
    }
    return 0;
  }

  /** Broken metadata: skip to just after the next FF FF (or drop what there is), counted. */
  private resync(bytes: Uint8Array, at: number): number {
    for (let j = at + 2; j + 1 < bytes.length; j += 1) {
      if (bytes[j] === 0xff && bytes[j + 1] === 0xff) {
        this.handler.message({ type: 'garbage', what: 'bad_metadata', bytes: j + 2 - at });
        return j + 2 - at;
      }
    }
    this.handler.message({ type: 'garbage', what: 'bad_metadata', bytes: bytes.length - at });
    return bytes.length - at;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
