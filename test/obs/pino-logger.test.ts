import fs, { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { errorFields } from '../../src/obs/logger.js';
import { LOG_FLUSH_INTERVAL_MS, MIN_WRITE_BYTES, pinoLogger } from '../../src/obs/pino-logger.js';
import { waitFor } from '../helpers/wait-for.js';

/** Milliseconds between two lines of the spaced-lines case. */
const LINE_SPACING_MS = 2;

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('pinoLogger', () => {
  it('writes one JSON object a line with level, time, message, fields and the child bindings', () => {
    const out = capture();
    const log = pinoLogger({ level: 'info', destination: out.stream });
    log.child({ component: 'http' }).info('request', { reqId: 'abc', status: 200 });
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 30, msg: 'request', component: 'http', reqId: 'abc', status: 200, pid: process.pid });
    expect(new Date(line!['time'] as string).toISOString()).toBe(line!['time']);
  });

  it('drops lines below its level and reports which levels are on', () => {
    const out = capture();
    const log = pinoLogger({ level: 'warn', destination: out.stream });
    log.info('not written');
    log.debug('not written');
    log.warn('written');
    expect(out.lines().map((line) => line['msg'])).toEqual(['written']);
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
  });

  it('logs an error with its message and stack under err', () => {
    const out = capture();
    pinoLogger({ level: 'info', destination: out.stream }).error('internal error', errorFields(new Error('disk full')));
    const err = out.lines()[0]!['err'] as Record<string, unknown>;
    expect(err['message']).toBe('disk full');
    expect(err['stack']).toMatch(/disk full\n\s+at /);
  });

  it('silent writes nothing', () => {
    const out = capture();
    pinoLogger({ level: 'silent', destination: out.stream }).fatal('nothing');
    expect(out.lines()).toEqual([]);
  });

  it('writes a file descriptor in batches, yet a lone line appears within the flush interval, and again after a pause', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-pino-'));
    try {
      const file = path.join(dir, 'log');
      const log = pinoLogger({ level: 'info', destination: openSync(file, 'w') }).child({ component: 'http' });
      const lines = () =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      // far less than MIN_WRITE_BYTES: without the flush timer it would wait for more lines
      log.info('request', { reqId: 'one' });
      expect(JSON.stringify({ reqId: 'one' }).length).toBeLessThan(MIN_WRITE_BYTES);
      const [first] = await waitFor('the lone line in the file', () => (lines().length === 1 ? lines() : null), { timeoutMs: 20 * LOG_FLUSH_INTERVAL_MS });
      expect(first).toMatchObject({ level: 30, msg: 'request', component: 'http', reqId: 'one' });
      expect(new Date(first!['time'] as string).toISOString()).toBe(first!['time']);
      // a burst, then silence: every line arrives, in order
      for (let index = 0; index < 100; index += 1) log.info('request', { reqId: `burst-${index}` });
      const all = await waitFor('the burst in the file', () => (lines().length === 101 ? lines() : null), { timeoutMs: 20 * LOG_FLUSH_INTERVAL_MS });
      expect(all.map((line) => line['reqId'])).toEqual(['one', ...Array.from({ length: 100 }, (_, index) => `burst-${index}`)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('gathers lines logged a few milliseconds apart into writes of MIN_WRITE_BYTES, not a write per line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-pino-'));
    // sonic-boom writes through node:fs's exports object (fs.write; fs.writeSync when the process exits)
    const write = vi.spyOn(fs, 'write');
    const writeSync = vi.spyOn(fs, 'writeSync');
    try {
      const file = path.join(dir, 'log');
      const fd = openSync(file, 'w');
      const log = pinoLogger({ level: 'info', destination: fd });
      const writesOfFile = () => [...write.mock.calls, ...writeSync.mock.calls].filter(([target]) => target === fd).length;
      const startedMs = performance.now();
      const lineCount = 40;
      for (let index = 0; index < lineCount; index += 1) {
        log.info('request', { reqId: `spaced-${index}` });
        // lines apart as a service's access log at a few hundred requests a second: an unbuffered destination would
        // have finished the previous line's write by the next line (this spacing is input, not a wait for a result)
        await new Promise((resolve) => setTimeout(resolve, LINE_SPACING_MS));
      }
      const elapsedMs = performance.now() - startedMs;
      const lines = await waitFor(
        'every spaced line in the file',
        () => {
          const text = readFileSync(file, 'utf8');
          return text.split('\n').filter((line) => line.length > 0).length === lineCount ? text : null;
        },
        { timeoutMs: 20 * LOG_FLUSH_INTERVAL_MS },
      );
      // a write per MIN_WRITE_BYTES gathered, plus one per flush tick that could have passed while the lines were logged
      const allowed = Math.ceil(Buffer.byteLength(lines) / MIN_WRITE_BYTES) + Math.ceil(elapsedMs / LOG_FLUSH_INTERVAL_MS) + 1;
      expect(allowed).toBeLessThan(lineCount);
      expect(writesOfFile()).toBeLessThanOrEqual(allowed);
    } finally {
      write.mockRestore();
      writeSync.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
