/** The access log: a line per request with its id, the client's X-Request-Id honoured when sane, returned always. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';

/** An id the service made: its process's 12-hex-digit prefix and a counter in base 36. */
const MADE_ID = /^[0-9a-f]{12}-[0-9a-z]+$/;
let ctx: TestService;
const log = new RecordingLogger();
beforeAll(async () => {
  ctx = await startTestService({ log });
});
afterAll(async () => {
  await ctx.close();
});

async function lineOf(reqId: string) {
  return waitFor(`the access-log line of ${reqId}`, () => log.lines.find((line) => line.message === 'request' && line.fields['reqId'] === reqId));
}

describe('access log and request ids', () => {
  it('honours a sane X-Request-Id, returns it, and logs the request under it at info', async () => {
    const response = await fetch(`${ctx.url}/api/devices/nobody/footprint?x=1`, { headers: { 'x-request-id': 'trace-42.a' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('trace-42.a');
    const line = await lineOf('trace-42.a');
    expect(line.level).toBe('info');
    expect(line.fields).toMatchObject({ component: 'http', method: 'GET', url: '/api/devices/nobody/footprint?x=1', status: 404 });
    expect(line.fields['durationMs']).toEqual(expect.any(Number));
    expect(line.fields['bytes']).toBeGreaterThan(Number(response.headers.get('content-length')));
  });

  it('gives a request without an id, or with one unfit for a log line, a new id, never the same twice', async () => {
    const made = new Set<string>();
    for (const given of [undefined, 'has space', 'x'.repeat(129), 'quote"d']) {
      // through Express (the catalogue) and through the fast path (a probe, a footprint), which write the header each their own way
      for (const path of ['/api/catalogue/grids', '/livez', '/api/devices/nobody/footprint']) {
        const response = await fetch(`${ctx.url}${path}`, { headers: given === undefined ? {} : { 'x-request-id': given } });
        const reqId = response.headers.get('x-request-id')!;
        expect(reqId).toMatch(MADE_ID);
        made.add(reqId);
        expect((await lineOf(reqId)).fields['status']).toBe(path === '/api/devices/nobody/footprint' ? 404 : 200);
      }
    }
    expect(made.size).toBe(12);
    // the prefix is the process's: one for every id made here
    expect(new Set([...made].map((id) => id.split('-')[0])).size).toBe(1);
  });

  it('does not let a client take an id this process has yet to make, and keeps one it was given (a retry)', async () => {
    const given = (await fetch(`${ctx.url}/livez`)).headers.get('x-request-id')!;
    expect(given).toMatch(MADE_ID);
    const [prefix, counter] = given.split('-') as [string, string];
    const future = `${prefix}-${(parseInt(counter, 36) + 2).toString(36)}`;
    const answered = (await fetch(`${ctx.url}/livez`, { headers: { 'x-request-id': future } })).headers.get('x-request-id')!;
    expect(answered).not.toBe(future);
    expect(answered).toMatch(MADE_ID);
    // the next made id is the one the client tried to take: it goes to this request, and to no other
    const next = (await fetch(`${ctx.url}/livez`)).headers.get('x-request-id');
    expect(next).toBe(future);
    expect((await fetch(`${ctx.url}/livez`, { headers: { 'x-request-id': given } })).headers.get('x-request-id')).toBe(given);
  });

  it('logs probes and scrapes at debug, other requests at info', async () => {
    for (const probe of ['/livez', '/readyz', '/metrics']) {
      const reqId = `probe${probe.replace('/', '-')}`;
      await fetch(`${ctx.url}${probe}`, { headers: { 'x-request-id': reqId } });
      expect((await lineOf(reqId)).level).toBe('debug');
    }
  });
});
