/**
 * The hot GETs answered ahead of Express (src/http/fast-path.ts) answer exactly as the Express routes do: the same
 * status, body, headers, ETag/304, problem for an unknown device, and they are counted, logged and measured the same.
 * Express still answers the other forms of these paths (a trailing slash), which is what each answer is compared with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { footprintIdOf } from '../../src/http/fast-path.js';
import { healthSchema } from '../../src/http/response-schemas.js';
import { fleetPageAnswer } from '../../src/http/routes/fleet.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';

let ctx: TestService;
const log = new RecordingLogger();
beforeAll(async () => {
  ctx = await startTestService({ log });
});
afterAll(async () => {
  await ctx.close();
});

let sentIds = 0;

/**
 * What a client sees of an answer, minus the headers that differ by nature (date, request id, connection). Every
 * answer, fast or through Express, must name the request id it was sent.
 */
async function seen(path: string, headers: Record<string, string> = {}) {
  sentIds += 1;
  const reqId = `seen-${sentIds}`;
  const response = await fetch(`${ctx.url}${path}`, { headers: { ...headers, 'x-request-id': reqId } });
  expect(response.headers.get('x-request-id')).toBe(reqId);
  const kept: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (!['date', 'x-request-id', 'connection', 'keep-alive'].includes(name)) kept.push([name, value]);
  });
  return { status: response.status, body: await response.text(), headers: Object.fromEntries(kept.sort(([a], [b]) => a.localeCompare(b))) };
}

describe('fast path ahead of Express', () => {
  it('answers a footprint, its 304 and an unknown device as the Express route does', async () => {
    const created = await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'fast.1', system: 'kws-typical' } });
    expect(created.status).toBe(201);
    await request(`${ctx.url}/api/devices/fast%2E1/windows`, {
      method: 'POST',
      token: ctx.token,
      json: { seq: 0, startMs: Date.parse('2026-11-01T00:00:00Z'), durationS: 10, energyJ: 0.05, sampleCount: 1000, minPowerW: 0.002, maxPowerW: 0.01 },
    });
    const fast = await seen('/api/devices/fast%2E1/footprint');
    const viaExpress = await seen('/api/devices/fast%2E1/footprint/');
    expect(fast.status).toBe(200);
    expect(JSON.parse(fast.body).device.id).toBe('fast.1');
    expect(fast).toEqual(viaExpress);
    expect(fast.headers['content-type']).toBe('application/json; charset=utf-8');

    const etag = fast.headers['etag']!;
    const notModified = await seen('/api/devices/fast%2E1/footprint', { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified).toEqual(await seen('/api/devices/fast%2E1/footprint/', { 'if-none-match': etag }));

    const missing = await seen('/api/devices/nobody/footprint');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(missing).toEqual(await seen('/api/devices/nobody/footprint/'));
  });

  it('answers /api/health as the Express route does, to the schema, but for its uptime and the requests counted between', async () => {
    const fast = await seen('/api/health');
    const viaExpress = await seen('/api/health/');
    expect(fast.status).toBe(200);
    // the length differs with the counters' digits: each must be its own body's
    const { 'content-length': fastLength, ...fastHeaders } = fast.headers;
    const { 'content-length': expressLength, ...expressHeaders } = viaExpress.headers;
    expect(fastHeaders).toEqual(expressHeaders);
    expect([Number(fastLength), Number(expressLength)]).toEqual([Buffer.byteLength(fast.body), Buffer.byteLength(viaExpress.body)]);
    expect(fast.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = healthSchema.parse(JSON.parse(fast.body));
    const expressBody = healthSchema.parse(JSON.parse(viaExpress.body));
    // the second request was counted before its answer: the http source's requests differ by that one
    const comparable = (answer: typeof body) => ({
      ...answer,
      uptimeS: 0,
      sources: answer.sources.map((source) => (source.name === 'http' ? { ...source, counters: { ...source.counters, requests: 0 } } : source)),
    });
    expect(comparable(body)).toEqual(comparable(expressBody));
    const requests = (answer: typeof body) => answer.sources.find((source) => source.name === 'http')!.counters['requests']!;
    expect(requests(expressBody)).toBe(requests(body) + 1);
    expect(body.uptimeS).toBeLessThanOrEqual(expressBody.uptimeS);
  });

  it('answers /livez and /readyz as the Express probes do', async () => {
    for (const probe of ['/livez', '/readyz']) {
      const fast = await seen(probe);
      expect(fast.status).toBe(200);
      expect(fast).toEqual(await seen(`${probe}/`));
    }
  });

  it('answers the fleet totals (rows=false) as the Express route does, but for the time it was computed at', async () => {
    // The accrued refresh moves accruedAtMs (and the accrued total) every few 250 ms steps with so few devices: compare
    // two answers of the same refresh.
    const [fast, viaExpress] = await waitFor('a fast and an Express answer of the same accrued refresh', async () => {
      const pair = [await seen('/api/fleet?rows=false'), await seen('/api/fleet/?rows=false')] as const;
      return JSON.parse(pair[0].body).accruedAtMs === JSON.parse(pair[1].body).accruedAtMs ? pair : null;
    });
    expect(fast.status).toBe(200);
    const strip = (answer: typeof fast) => ({
      ...answer,
      body: { ...JSON.parse(answer.body), computedAtMs: 0 },
      headers: { ...answer.headers, 'content-length': '' },
    });
    expect(JSON.parse(fast.body).computedAtMs).toEqual(expect.any(Number));
    expect(strip(fast)).toEqual(strip(viaExpress));
    expect(Object.keys(JSON.parse(fast.body))).toEqual(Object.keys(JSON.parse(viaExpress.body)));
  });

  it('answers a fleet page whose URL Express validated before, as Express does, plain and compressed', async () => {
    const created = await request(`${ctx.url}/api/devices`, {
      method: 'POST',
      token: ctx.token,
      json: [1, 2, 3].map((i) => ({ id: `fleet-fast.${i}`, system: 'kws-typical', fleet: 'fast' })),
    });
    expect(created.status).toBe(201);
    const index = ctx.service.context.fleetIndex;
    const url = '/api/fleet?sort=power&dir=desc&offset=0&limit=2&fleet=fast';
    expect(fleetPageAnswer(index, url)).toBeNull(); // never validated: Express answers it
    const viaExpress = await seen(url);
    expect(viaExpress.status).toBe(200);
    expect(JSON.parse(viaExpress.body).rows).toHaveLength(2);
    expect(fleetPageAnswer(index, url)).not.toBeNull(); // validated once: the fast path answers it from now on
    // The accrued refresh moves the totals' accruedAtMs every few 250 ms steps: compare answers of the same refresh.
    const sameRefresh = (a: { body: unknown }, b: { body: unknown }) =>
      (a.body as Record<string, unknown>)['accruedAtMs'] === (b.body as Record<string, unknown>)['accruedAtMs'];
    const strip = (answer: typeof viaExpress) => ({
      ...answer,
      body: { ...JSON.parse(answer.body), computedAtMs: 0 },
      headers: { ...answer.headers, 'content-length': '' },
    });
    const [fast, trailing] = await waitFor('a fast and an Express answer of the same accrued refresh', async () => {
      const pair = [strip(await seen(url)), strip(await seen(url.replace('/api/fleet?', '/api/fleet/?')))] as const; // the second: another URL, Express
      return sameRefresh(pair[0], pair[1]) ? pair : null;
    });
    expect(fast).toEqual(trailing);
    expect(Object.keys(fast.body)).toEqual(Object.keys(strip(viaExpress).body));
    expect(fast.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', vary: 'accept-encoding' });
    // A URL Express refused is never remembered.
    expect((await seen('/api/fleet?sort=nonsense')).status).toBe(400);
    expect(fleetPageAnswer(index, '/api/fleet?sort=nonsense')).toBeNull();

    // A page of COMPRESS_MIN_BYTES and more, gzip-encoded for a client that accepts it, by the fast path as by Express.
    const more = Array.from({ length: 60 }, (_, i) => ({ id: `fleet-fast.big-${i}`, system: 'kws-typical', fleet: 'big' }));
    expect((await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: more })).status).toBe(201);
    const big = '/api/fleet?fleet=big&limit=60';
    const gzipped = async (path: string) => {
      // node:http, not fetch: fetch decodes the body and hides what was on the wire.
      const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        get(`${ctx.url}${path}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
      const { date: _d, 'x-request-id': _r, connection: _c, 'keep-alive': _k, 'content-length': _l, ...headers } = raw.headers;
      return { headers, body: { ...JSON.parse(gunzipSync(raw.body).toString()), computedAtMs: 0 } };
    };
    const firstViaExpress = await gzipped(big);
    expect(firstViaExpress.headers['content-encoding']).toBe('gzip');
    expect(firstViaExpress.body.rows).toHaveLength(60);
    expect(fleetPageAnswer(index, big)).not.toBeNull();
    const [bigFast, bigViaExpress] = await waitFor('gzip answers of the same accrued refresh', async () => {
      const pair = [await gzipped(big), await gzipped(big.replace('/api/fleet?', '/api/fleet/?'))] as const;
      return sameRefresh(pair[0], pair[1]) ? pair : null;
    });
    expect(bigViaExpress.headers['content-encoding']).toBe('gzip');
    expect(bigFast).toEqual(bigViaExpress);
  });

  it('counts, logs and measures its requests under the route template', async () => {
    const histogramCount = async (route: string, status: string) =>
      sampleValue(parsePrometheusText(await (await fetch(`${ctx.url}/metrics`)).text()), 'tinyml_http_request_duration_seconds_count', {
        method: 'GET',
        route,
        status,
      }) ?? 0;
    const notFoundBefore = await histogramCount('/api/devices/:id/footprint', '404');
    const livezBefore = await histogramCount('/livez', '200');
    const before = (await request(`${ctx.url}/api/health`)).body.sources.find((source: { name: string }) => source.name === 'http').counters.requests;
    await fetch(`${ctx.url}/api/devices/nobody/footprint?x=1`, { headers: { 'x-request-id': 'fast-404' } });
    await fetch(`${ctx.url}/livez`, { headers: { 'x-request-id': 'fast-livez' } });
    const after = (await request(`${ctx.url}/api/health`)).body.sources.find((source: { name: string }) => source.name === 'http').counters.requests;
    expect(after - before).toBe(3); // the two, and the first /api/health

    const line = await waitFor('the access-log line of fast-404', () => log.lines.find((entry) => entry.fields['reqId'] === 'fast-404'));
    expect(line.level).toBe('info');
    expect(line.fields).toMatchObject({ component: 'http', method: 'GET', url: '/api/devices/nobody/footprint?x=1', status: 404 });
    expect((await waitFor('the /livez line', () => log.lines.find((entry) => entry.fields['reqId'] === 'fast-livez'))).level).toBe('debug');

    expect((await histogramCount('/api/devices/:id/footprint', '404')) - notFoundBefore).toBe(1);
    expect((await histogramCount('/livez', '200')) - livezBefore).toBe(1);
  });

  it('takes only the plain form of the footprint path; Express keeps the rest', () => {
    expect(footprintIdOf('/api/devices/a%2Fb/footprint')).toBe('a/b');
    expect(footprintIdOf('/api/devices/x/footprint')).toBe('x');
    expect(footprintIdOf('/api/devices//footprint')).toBeNull();
    expect(footprintIdOf('/api/devices/a/b/footprint')).toBeNull();
    expect(footprintIdOf('/api/devices/%E0%A4%A/footprint')).toBeNull();
    expect(footprintIdOf('/api/devices/x/windows')).toBeNull();
  });
});
