import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorFields } from '../../src/obs/logger.js';
import { pinoLogger } from '../../src/obs/pino-logger.js';

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
});
