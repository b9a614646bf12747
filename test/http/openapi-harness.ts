/**
 * The OpenAPI checks' shared set-up (test/http/openapi*.test.ts): one service per test file with the dashboard and
 * the embedded broker, its document compiled by Ajv, and `call`, which sends a request and checks its answer against
 * the document (status, media type, body). Two files, so that vitest runs the route walk and the schema-driven inputs
 * (several hundred requests in series) side by side.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, expect } from 'vitest';
import { createDashboardLayer } from '../../src/server/layers/dashboard-layer.js';
import { mqttLayer } from '../../src/server/layers/mqtt-layer.js';
import { freePort } from '../helpers/free-port.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import type { JsonSchema } from './schema-inputs.js';

export const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const DOC_ID = 'https://tinyml-footprint.dev/openapi.json';

export type Doc = { paths: Record<string, Record<string, JsonSchema>>; components: { schemas: Record<string, JsonSchema> } };

export interface Answer {
  status: number;
  contentType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the route sent; ajv validates it against the document
  body: any;
}

export interface CallInit {
  token?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export interface OpenapiHarness {
  /** The service (set in beforeAll). */
  readonly ctx: TestService;
  /** Its OpenAPI document (set in beforeAll). */
  readonly doc: Doc;
  /** `operationId status` of every answer checked against the document. */
  readonly seen: ReadonlySet<string>;
  /** Check one answer against the document: status documented, media type documented, body valid. */
  check(method: string, url: string, answer: Answer): void;
  call(method: string, pathAndQuery: string, init?: CallInit): Promise<Answer>;
  /** An event stream: check status and headers, then hang up. */
  callStream(pathAndQuery: string): Promise<Answer>;
  /** A schema with its `$ref` to the components followed. */
  resolve(schema: JsonSchema): JsonSchema;
  freshId(prefix: string): string;
  /** A newly registered device's id. */
  freshDevice(): Promise<string>;
}

const pointer = (...parts: string[]): string => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Registers the file's beforeAll (start the service, read and compile its document) and afterAll (close it). */
export function useOpenapiService(): OpenapiHarness {
  let ctx: TestService | undefined;
  let doc: Doc | undefined;
  let ajv: Ajv2020 | undefined;
  const seen = new Set<string>();
  const validators = new Map<string, ValidateFunction>();
  let idCounter = 0;

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
    await ctx?.close();
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is set in beforeAll`);
    return value;
  };
  const validatorAt = (jsonPointer: string): ValidateFunction => {
    let validator = validators.get(jsonPointer);
    if (validator === undefined) {
      validator = ready(ajv, 'ajv').compile({ $ref: `${DOC_ID}#/${jsonPointer}` });
      validators.set(jsonPointer, validator);
    }
    return validator;
  };
  const resolve = (schema: JsonSchema): JsonSchema => {
    const target = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref) : null;
    return target === null ? schema : resolve(ready(doc, 'doc').components.schemas[target[1]!]!);
  };
  const operationFor = (method: string, url: string): { template: string; operation: JsonSchema } => {
    const pathname = new URL(url, 'http://x').pathname;
    for (const [template, item] of Object.entries(ready(doc, 'doc').paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(pathname) && item[method.toLowerCase()] !== undefined) return { template, operation: item[method.toLowerCase()]! };
    }
    throw new Error(`${method} ${pathname} is not in the document`);
  };
  const check = (method: string, url: string, answer: Answer): void => {
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
    expect(valid, `${where}: body does not match the document: ${ready(ajv, 'ajv').errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
  };
  const call = async (method: string, pathAndQuery: string, init: CallInit = {}): Promise<Answer> => {
    const answer = await request(`${ready(ctx, 'ctx').url}${pathAndQuery}`, { method, ...init });
    check(method, pathAndQuery, answer);
    return answer;
  };
  const callStream = async (pathAndQuery: string): Promise<Answer> => {
    const controller = new AbortController();
    const response = await fetch(`${ready(ctx, 'ctx').url}${pathAndQuery}`, { signal: controller.signal });
    const contentType = response.headers.get('content-type') ?? '';
    const body: unknown = contentType.includes('event-stream') ? '' : await response.json();
    controller.abort();
    const answer = { status: response.status, contentType, body };
    check('GET', pathAndQuery, answer);
    return answer;
  };
  const freshId = (prefix: string): string => `${prefix}-${++idCounter}`;
  const freshDevice = async (): Promise<string> => {
    const id = freshId('dev');
    expect((await call('POST', '/api/devices', { token: ready(ctx, 'ctx').token, json: { id } })).status).toBe(201);
    return id;
  };
  return {
    get ctx() {
      return ready(ctx, 'ctx');
    },
    get doc() {
      return ready(doc, 'doc');
    },
    seen,
    check,
    call,
    callStream,
    resolve,
    freshId,
    freshDevice,
  };
}
