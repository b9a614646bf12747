import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/http/limits.js';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
  const created = await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'node-1' } });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await ctx.close();
});

const MALFORMED = '{"id": "x",';
const json = { 'content-type': 'application/json' };

describe('the bearer token is checked before the body is read', () => {
  it.each([
    ['POST', '/api/devices'],
    ['PATCH', '/api/devices/node-1'],
    ['POST', '/api/devices/node-1/windows'],
    // A write route that this service does not mount (no MQTT layer) is still a write: 401 before anything else.
    ['POST', '/api/devices/node-1/mqtt-credentials'],
  ])('%s %s without a token and with a malformed body → 401, not 400', async (method, path) => {
    const res = await request(`${ctx.url}${path}`, { method, headers: json, body: MALFORMED });
    expect(res.status).toBe(401);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.detail).toMatch(/missing bearer token/);
  });

  it('a wrong token with an oversized body → 401, not 413', async () => {
    const body = JSON.stringify({ windows: [{ pad: 'x'.repeat(MAX_BODY_BYTES + 1) }] });
    const res = await request(`${ctx.url}/api/devices/node-1/windows`, { method: 'POST', token: 'nope', headers: json, body });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/invalid bearer token/);
  });

  it('a wrong token with a body that is not JSON → 401, not 415', async () => {
    const res = await request(`${ctx.url}/api/devices`, { method: 'POST', token: 'nope', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(res.status).toBe(401);
  });

  it('with the token, the same malformed body is a 400 (the body is then read)', async () => {
    const res = await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, headers: json, body: MALFORMED });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/not valid JSON/);
  });

  it('the stateless calculator stays open: a malformed body without a token is a 400', async () => {
    const res = await request(`${ctx.url}/api/calculate`, { method: 'POST', headers: json, body: MALFORMED });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/not valid JSON/);
  });

  it('every refusal is counted as unauthorized in health', async () => {
    const health = await request(`${ctx.url}/api/health`);
    const http = health.body.sources.find((source: { name: string }) => source.name === 'http');
    expect(http.rejected.unauthorized).toBe(6);
    expect(http.rejected['malformed-json']).toBe(2);
  });
});
