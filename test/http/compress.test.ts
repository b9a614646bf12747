/** Large JSON answers (the fleet's pages) go out br- or gzip-compressed when the client accepts it; small ones as they are. */
import { get } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPRESS_MIN_BYTES, negotiateEncoding } from '../../src/http/compress.js';
import { request, startTestService, type TestService } from '../helpers/service.js';

describe('negotiateEncoding', () => {
  it('prefers br, then gzip; honours q=0; nothing without the header', () => {
    expect(negotiateEncoding(undefined)).toBeNull();
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('gzip;q=1.0, br;q=0')).toBe('gzip');
    expect(negotiateEncoding('identity')).toBeNull();
    expect(negotiateEncoding('BR')).toBe('br');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBeNull();
  });
});

function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('GET /api/fleet compression', () => {
  let ctx: TestService;
  beforeAll(async () => {
    ctx = await startTestService();
    for (let i = 0; i < 30; i += 1) await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: `c-${i}` } });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('sends the same JSON br- or gzip-encoded as accepted, identity otherwise; totals alone are not compressed', async () => {
    const url = `${ctx.url}/api/fleet`;
    const plain = await rawGet(url, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    const br = await rawGet(url, { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);
    expect(brotliDecompressSync(br.body).toString()).toBe(plain.body.toString());
    const gz = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(plain.body.toString());
    const totals = await rawGet(`${url}?rows=false`, { 'accept-encoding': 'br' });
    expect(totals.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(totals.body.toString()).devices).toBe(30);
  });
});
