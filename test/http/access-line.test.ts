/**
 * The access-log line as the service writes it (through pinoLogger's writeJsonFields, not pino's serialisation of a
 * fields object): valid JSON whatever the client put in the path or the request id, and the same line pino writes for
 * the same fields.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { accessLineFields, beginRequestLog } from '../../src/http/access-log.js';
import { pinoLogger } from '../../src/obs/pino-logger.js';
import { RecordingLogger } from '../helpers/recording-logger.js';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/** Strings a client can put in a path (or, were CLIENT_REQUEST_ID wider, in an id). */
const AWKWARD = {
  quotes: '/a"b"c',
  backslashes: '/a\\b\\\\c\\',
  'control characters': '/a\u0000b\u0001\t\n\r\u001fc\u007f',
  'non-ASCII': '/ĉu-ĝi/日本/🙂/Ã©',
  'lone surrogates': '/a\ud800b\udc00c\udbff',
  'a long path with all of them': `/${'x"\\\u0002é'.repeat(40)}`,
} as const;

describe('accessLineFields', () => {
  it.each(Object.entries(AWKWARD))('gives JSON members that parse back to the fields with %s in the url and the id', (_name, text) => {
    const json = `{${accessLineFields(text, 'GET', text, 404, 1.234, 9300, '::1', false)}}`;
    expect(JSON.parse(json)).toEqual({ reqId: text, method: 'GET', url: text, status: 404, durationMs: 1.234, bytes: 9300, remote: '::1' });
    // the fields in the order the object was logged in before
    expect(Object.keys(JSON.parse(json) as object)).toEqual(['reqId', 'method', 'url', 'status', 'durationMs', 'bytes', 'remote']);
  });

  it('stays JSON when a number is not finite: written as null, as JSON.stringify writes it', () => {
    const fields = accessLineFields('id', 'GET', '/x', Number.NaN, Number.POSITIVE_INFINITY, undefined as unknown as number, null, false);
    expect(JSON.parse(`{${fields}}`)).toEqual({ reqId: 'id', method: 'GET', url: '/x', status: null, durationMs: null, bytes: null, remote: null });
  });

  it('writes a null remote and `aborted` only when the client hung up first', () => {
    expect(JSON.parse(`{${accessLineFields('id', 'POST', '/x', 201, 0.5, 0, null, true)}}`)).toEqual({
      reqId: 'id',
      method: 'POST',
      url: '/x',
      status: 201,
      durationMs: 0.5,
      bytes: 0,
      remote: null,
      aborted: true,
    });
  });
});

describe('pinoLogger writeJsonFields', () => {
  it.each(Object.entries(AWKWARD))('writes the line pino writes for the same fields (%s)', (name, text) => {
    const out = capture();
    const log = pinoLogger({ level: 'info', destination: out.stream }).child({ component: 'http' });
    const fields = { reqId: text, method: 'GET', url: text, status: 200, durationMs: 0.125, bytes: 512, remote: '127.0.0.1' };
    log.info('request', fields);
    log.writeJsonFields!('info', 'request', accessLineFields(text, 'GET', text, 200, 0.125, 512, '127.0.0.1', false));
    const [byPino, byHand] = out
      .text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.replace(/"time":"[^"]+"/, '"time":"T"'));
    expect(byHand).toBeDefined();
    const parsed = JSON.parse(byHand!) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['level', 'time', 'pid', 'component', 'reqId', 'method', 'url', 'status', 'durationMs', 'bytes', 'remote', 'msg']);
    expect(parsed).toMatchObject({ level: 30, pid: process.pid, component: 'http', msg: 'request', url: text, reqId: text });
    if (name === 'lone surrogates') {
      // pino writes a short string's lone surrogate unescaped (UTF-8 turns it into U+FFFD); escaped, it is kept
      const replaced = text.replace(/[\ud800-\udfff]/g, '\ufffd');
      expect(JSON.parse(byPino!)).toEqual({ ...parsed, reqId: replaced, url: replaced });
    } else {
      // byte for byte: pino escapes quotes, backslashes and control characters as JSON.stringify does, and writes non-ASCII raw
      expect(byHand).toBe(byPino);
    }
  });

  it('writes at debug with pino’s debug level number', () => {
    const out = capture();
    pinoLogger({ level: 'debug', destination: out.stream }).writeJsonFields!('debug', 'request', '"status":200');
    expect(JSON.parse(out.text())).toMatchObject({ level: 20, msg: 'request', status: 200, pid: process.pid });
  });
});

/** A request answered through beginRequestLog, with the socket's byte counter moved by the answer. */
function answer(log: Parameters<typeof beginRequestLog>[0], url: string, finished: boolean): string {
  const socket = { bytesWritten: 100, remoteAddress: '10.0.0.7' };
  const req = { headers: { 'x-request-id': 'trace-7' }, method: 'GET', url, socket } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { statusCode: 404, writableFinished: false });
  const reqId = beginRequestLog(log, () => {}, req, res as unknown as ServerResponse, '/api/devices/:id/footprint');
  socket.bytesWritten += 321;
  res.writableFinished = finished;
  res.emit('close');
  return reqId;
}

describe('the access-log line of a request', () => {
  it.each([true, false])('has the fields a recording logger gets, in its order (answer finished: %s)', (finished) => {
    const out = capture();
    const url = `/api/devices/${AWKWARD.quotes}${AWKWARD['control characters']}/footprint`;
    answer(pinoLogger({ level: 'info', destination: out.stream }).child({ component: 'http' }), url, finished);
    const recorded = new RecordingLogger();
    answer(recorded.child({ component: 'http' }), url, finished);
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    const { durationMs, ...rest } = line;
    const { durationMs: recordedMs, ...recordedRest } = recorded.lines[0]!.fields;
    expect(durationMs).toEqual(expect.any(Number));
    expect(recordedMs).toEqual(expect.any(Number));
    expect(rest).toEqual({ level: 30, time: expect.any(String), pid: process.pid, msg: 'request', ...recordedRest });
    expect(rest).toMatchObject({ reqId: 'trace-7', method: 'GET', url, status: 404, bytes: 321, remote: '10.0.0.7', ...(finished ? {} : { aborted: true }) });
    expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'component', ...Object.keys(recorded.lines[0]!.fields).slice(1), 'msg']);
  });
});
