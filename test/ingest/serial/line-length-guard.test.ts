import { ReadlineParser } from '@serialport/parser-readline';
import { describe, expect, it } from 'vitest';
import { LineLengthGuard } from '../../../src/ingest/serial/line-length-guard.js';

const CAP = 20;

function pipeline(): { guard: LineLengthGuard; parser: ReadlineParser; lines: string[] } {
  const guard = new LineLengthGuard(CAP);
  const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  const lines: string[] = [];
  parser.on('data', (line: string) => lines.push(line));
  guard.pipe(parser);
  return { guard, parser, lines };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LineLengthGuard before ReadlineParser', () => {
  it('passes short lines through untouched, across chunk boundaries', async () => {
    const { guard, lines } = pipeline();
    guard.write(Buffer.from('abc\nde'));
    guard.write(Buffer.from('f\n\nghi\n'));
    await flush();
    expect(lines).toEqual(['abc', 'def', 'ghi']); // an empty push is a no-op in a byte stream: blank lines never arrive
    expect(guard.droppedBytes).toBe(0);
  });

  it('truncates an overlong line to CAP + 1 bytes (so the parser rejects it as too_long) and counts it once', async () => {
    const { guard, lines } = pipeline();
    guard.write(Buffer.from(`ok\n${'x'.repeat(15)}`));
    guard.write(Buffer.from('y'.repeat(30)));
    guard.write(Buffer.from(`z\nafter\n`));
    await flush();
    expect(lines).toEqual(['ok', `${'x'.repeat(15)}${'y'.repeat(6)}`, 'after']);
    expect(lines[1]).toHaveLength(CAP + 1);
    expect(guard.overlongLines).toBe(1);
    expect(guard.droppedBytes).toBe(15 + 30 + 1 - (CAP + 1));
  });

  it('holds at most CAP + 1 bytes of a stream that never sends a newline (wrong baud rate)', async () => {
    const { guard, parser, lines } = pipeline();
    const chunk = Buffer.alloc(64 * 1024, 0xaa);
    for (let i = 0; i < 64; i += 1) guard.write(chunk);
    await flush();
    expect(lines).toEqual([]);
    expect(guard.pendingLineBytes).toBe(CAP + 1);
    // DelimiterParser's internal buffer is what would otherwise grow without bound.
    expect((parser as unknown as { buffer: Buffer }).buffer.length).toBe(CAP + 1);
    expect(guard.droppedBytes).toBe(64 * chunk.length - (CAP + 1));
  });
});
