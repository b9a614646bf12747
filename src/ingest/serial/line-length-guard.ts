/**
 * A Transform placed before @serialport/parser-readline. ReadlineParser (DelimiterParser) keeps every byte since the
 * last delimiter and re-concatenates it on each chunk: a stream with no newline (wrong baud rate, serialport #1298)
 * grows memory without bound, in O(n²) copies. This guard passes at most `maxLineBytes + 1` bytes of any line and drops
 * the rest up to the next `\n`, so ReadlineParser's buffer stays ≤ maxLineBytes + 1 and the truncated line still
 * reaches the parser, which rejects it as `too_long` (one count per overlong line).
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

export class LineLengthGuard extends Transform {
  /** Bytes dropped from overlong lines. */
  droppedBytes = 0;
  /** Overlong lines seen, counted as soon as the cap is exceeded (a newline-free stream shows up at once). */
  overlongLines = 0;
  /** Bytes of the current line passed on so far; never above maxLineBytes + 1. */
  private lineBytes = 0;
  private isDropping = false;

  constructor(private readonly maxLineBytes: number) {
    super();
  }

  /** Bytes of the current unterminated line held downstream (by ReadlineParser). */
  get pendingLineBytes(): number {
    return this.lineBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const keep = this.maxLineBytes + 1;
    // Built only once something must be dropped; until then the chunk passes through untouched.
    let out: Buffer[] | null = null;
    let pos = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, pos);
      const segmentEnd = newline === -1 ? chunk.length : newline;
      const segmentBytes = segmentEnd - pos;
      if (this.isDropping) {
        if (segmentBytes > 0) {
          out ??= [chunk.subarray(0, pos)];
          this.droppedBytes += segmentBytes;
        }
      } else if (this.lineBytes + segmentBytes > keep) {
        const room = keep - this.lineBytes;
        if (out === null) out = [chunk.subarray(0, pos + room)];
        else out.push(chunk.subarray(pos, pos + room));
        this.lineBytes = keep;
        this.droppedBytes += segmentBytes - room;
        this.overlongLines += 1;
        this.isDropping = true;
      } else {
        if (out !== null) out.push(chunk.subarray(pos, segmentEnd));
        this.lineBytes += segmentBytes;
      }
      if (newline === -1) break;
      if (out !== null) out.push(chunk.subarray(newline, newline + 1));
      this.lineBytes = 0;
      this.isDropping = false;
      pos = newline + 1;
    }
    if (out === null) this.push(chunk);
    else this.push(Buffer.concat(out));
    callback();
  }
}
