/**
 * /livez and /readyz: answered while heavy requests are in flight, 503 while a layer is still starting and once a
 * shutdown began (the in-flight requests are still answered), 200 in between.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readinessSchema } from '../../src/http/response-schemas.js';
import type { ServiceLayer } from '../../src/server/layer.js';
import { createDashboardLayer } from '../../src/server/layers/dashboard-layer.js';
import { loadServeConfig } from '../../src/server/serve-config.js';
import { startService } from '../../src/server/service.js';
import { silentLogger } from '../../src/obs/logger.js';
import { openSse } from '../dashboard/sse-reader.js';
import { freePort } from '../helpers/free-port.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';

interface Answer {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

function get(agent: http.Agent, url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), headers: response.headers }));
      })
      .once('error', reject);
  });
}

/** A POST whose body arrives over `durationMs`: in flight all that time. */
function slowUpload(url: string, token: string, body: string, durationMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
    const chunks = 20;
    const size = Math.ceil(body.length / chunks);
    let sent = 0;
    const timer = setInterval(() => {
      request.write(body.slice(sent, sent + size));
      sent += size;
      if (sent >= body.length) {
        clearInterval(timer);
        request.end();
      }
    }, durationMs / chunks);
  });
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
const batch = (count: number) =>
  JSON.stringify({
    windows: Array.from({ length: count }, (_, seq) => ({ seq, startMs: T0 + seq * 10_000, durationS: 10, energyJ: 0.2, minPowerW: 0.01, maxPowerW: 0.04 })),
  });

describe('liveness and readiness probes', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answer while an upload is in flight and an event stream is open', async () => {
    const ctx: TestService = await startTestService({ layers: [createDashboardLayer()] });
    cleanups.push(() => ctx.close());
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    await fetch(`${ctx.url}/api/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' },
      body: '{"id":"busy"}',
    });
    const stream = await openSse(`${ctx.url}/api/events`);
    cleanups.push(() => stream.close());
    let uploadDone = false;
    const upload = slowUpload(`${ctx.url}/api/devices/busy/windows`, ctx.token, batch(500), 3_000).then((status) => {
      uploadDone = true;
      return status;
    });
    await waitFor('the upload to be in flight', () => ctx.service.context.health.snapshot().find((s) => s.name === 'http')!.counters['requests']! >= 3);

    const live = await get(agent, `${ctx.url}/livez`);
    const ready = await get(agent, `${ctx.url}/readyz`);
    expect(uploadDone).toBe(false);
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', store: 'open', draining: false, layers: { dashboard: 'started' } } });
    expect(await upload).toBe(201);
  });

  it('readyz is 503 while a layer starts, 200 once it has, and 503 from the moment a shutdown begins', async () => {
    let release!: () => void;
    const started = new Promise<void>((resolve) => (release = resolve));
    const slowLayer: ServiceLayer = { name: 'slow', attach: () => ({ start: async () => (await started, null) }) };
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-probes-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const config = loadServeConfig(['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery'], {});
    const starting = startService(config, { layers: [slowLayer], log: silentLogger });
    const url = `http://127.0.0.1:${port}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());

    const whileStarting = await waitFor('the server to listen', () => get(agent, `${url}/readyz`).catch(() => null));
    expect(whileStarting.status).toBe(503);
    expect(readinessSchema.parse(whileStarting.body)).toEqual({ status: 'not-ready', store: 'open', draining: false, layers: { slow: 'starting' } });
    expect((await get(agent, `${url}/livez`)).status).toBe(200);
    release();
    const service = await starting;
    const ready = await get(agent, `${url}/readyz`);
    expect(ready.body).toEqual({ status: 'ready', store: 'open', draining: false, layers: { slow: 'started' } });

    // The same kept-alive connection asks again once close() began: answered, 503, and told to close.
    const closing = service.close();
    const draining = await get(agent, `${url}/readyz`);
    expect(draining.status).toBe(503);
    expect(readinessSchema.parse(draining.body)).toMatchObject({ status: 'not-ready', draining: true });
    expect(draining.headers.connection).toBe('close');
    await closing;
    await expect(get(agent, `${url}/livez`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
