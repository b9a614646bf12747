import { z } from 'zod';
import { MAX_BODY_BYTES, MAX_DEVICES_PER_REQUEST, MAX_EVENT_CLIENTS, MAX_IMPORT_BODY_BYTES } from './limits.js';
import { DEVICE_ID_PATTERN } from '../protocol/limits.js';
import * as responses from './response-schemas.js';
import {
  calculateBodySchema,
  calculateQuerySchema,
  createDeviceSchema,
  createDevicesQuerySchema,
  createDevicesSchema,
  eventsQuerySchema,
  seriesQuerySchema,
  importBodySchema,
  fleetOverviewQuerySchema,
  fleetQuerySchema,
  listQuerySchema,
  patchDeviceSchema,
  windowSchema,
  windowsBodySchema,
  windowsQuerySchema,
} from './schemas.js';

type JsonSchema = Record<string, unknown>;
const COMPONENTS = '#/components/schemas/';

/** The body of POST /api/devices/:id/mqtt-credentials (read by src/broker/credentials-router.ts, which ignores other fields). */
const mqttCredentialsBodySchema = z.object({ fleet: z.string().regex(DEVICE_ID_PATTERN).nullable().optional() });

/** Request bodies, described as the route reads them (`io: input`): defaults and transforms not applied yet. */
const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  Calculation: calculateBodySchema,
  DeviceCreate: createDeviceSchema,
  DeviceBatch: createDevicesSchema,
  DevicePatch: patchDeviceSchema,
  Window: windowSchema,
  Windows: windowsBodySchema,
  MqttCredentialsRequest: mqttCredentialsBodySchema,
  Import: importBodySchema,
};

/** Responses, described as the routes send them (`io: output`); every one is checked by test/http/openapi.test.ts. */
const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  Problem: responses.problemSchema,
  Provenance: responses.provenanceSchema,
  Range: responses.rangeSchema,
  GridFactor: responses.gridFactorSchema,
  Health: responses.healthSchema,
  Liveness: responses.livenessSchema,
  Readiness: responses.readinessSchema,
  Catalogue: responses.catalogueSchema,
  GridList: responses.gridListSchema,
  Footprint: responses.footprintSchema,
  CalculationResult: responses.calculationSchema,
  Device: responses.deviceSchema,
  Aggregate: responses.aggregateSchema,
  DeviceWithAggregate: responses.deviceWithAggregateSchema,
  DeviceList: responses.deviceListSchema,
  DeviceBatchResult: responses.deviceBatchResultSchema,
  StoredWindow: responses.storedWindowSchema,
  WindowList: responses.windowListSchema,
  SubmitResult: responses.submitResultSchema,
  Series: responses.seriesSchema,
  ImportSummary: responses.importSummarySchema,
  DeviceFootprint: responses.deviceFootprintSchema,
  Fleet: responses.fleetSchema,
  FleetOverview: responses.fleetOverviewSchema,
  MqttCredentials: responses.mqttCredentialsSchema,
};

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) from zod, shared sub-schemas as `$ref`s into components. */
function componentSchemas(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `${COMPONENTS}${id}` }) as { schemas: Record<string, JsonSchema> };
  // `$id` and `$schema` are the document's business in OpenAPI 3.1, not each component's.
  return Object.fromEntries(Object.entries(generated.schemas).map(([id, { $id: _id, $schema: _schema, ...schema }]) => [id, schema]));
}

function fieldSchema(field: z.ZodType): JsonSchema {
  const { $schema: _schema, ...schema } = z.toJSONSchema(field, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

/** Query parameters from the zod schema the route validates its query with: the limits are the real ones. */
function queryParameters(schema: z.ZodObject, examples: Record<string, string> = {}): JsonSchema[] {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: fieldSchema(field as z.ZodType),
    ...(examples[name] === undefined ? {} : { example: examples[name] }),
  }));
}

const ref = (name: string) => ({ $ref: `${COMPONENTS}${name}` });
const json = (description: string, schema: string) => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const body = (schema: string, examples: Record<string, unknown>, required = true) => ({
  required,
  content: { 'application/json': { schema: ref(schema), examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])) } },
});
/** A body or answer that is one of several components (each with its examples in the body's case). */
const oneOfBody = (schemas: readonly string[], examples: Record<string, unknown>) => ({
  required: true,
  content: {
    'application/json': {
      schema: { oneOf: schemas.map(ref) },
      examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
    },
  },
});
const oneOfJson = (description: string, schemas: readonly string[]) => ({
  description,
  content: { 'application/json': { schema: { oneOf: schemas.map(ref) } } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: DEVICE_ID_PATTERN.source } };
const secured = [{ bearer: [] }];

const PROBLEMS = {
  400: problem('invalid input: the reason in `detail`, one line per invalid field in `errors`'),
  401: problem('missing or invalid bearer token; checked before the body is read'),
  404: problem('no such device'),
  409: problem('conflict'),
  413: problem(`body over ${MAX_BODY_BYTES} bytes`),
  415: problem('body is not application/json'),
  503: problem('the commit queue is full (`overloaded`, with Retry-After) or the service is shutting down (`unavailable`): nothing stored, retry'),
};

const EXAMPLE_START_MS = Date.UTC(2025, 0, 1);
const exampleWindow = (seq: number) => ({
  seq,
  startMs: EXAMPLE_START_MS + seq * 10_000,
  durationS: 10,
  energyJ: 0.272,
  sampleCount: 1000,
  minPowerW: 0.004,
  maxPowerW: 0.09,
  inferenceCount: 3,
});

/**
 * The examples of each request body: every one is accepted by the service (test/http/openapi.test.ts and
 * openapi-inputs.test.ts post them; the latter derives from the schemas invalid inputs that must be refused).
 */
export const REQUEST_EXAMPLES = {
  Calculation: {
    seedDefault: {},
    measured: { system: 'kws-typical', power: '27.2mW', grid: 'FRA', lifetimeYears: 3 },
    perInference: { system: 'kws-typical', power: '27.2mW', grid: 'FRA', lifetimeYears: 3, inferencesPerS: 4 },
    custom: {
      system: { base: 'ic-typical', scenario: 'max', blocks: { processing: { level: 1 }, casing: { kgCO2e: 0.5 } } },
      power: 0.0272,
      trainingDevices: 100,
      battery: { capacityWh: 7.2, cycleLife: 500 },
      elapsedS: 86_400,
    },
  },
  DeviceCreate: {
    minimal: { id: 'node-1' },
    full: {
      id: 'node-2',
      name: 'Bench U575',
      fleet: 'lab',
      deployedAt: '2025-01-01T00:00:00Z',
      system: 'kws-typical',
      training: 'none',
      grid: 'FRA',
      lifetimeYears: 5,
      chargerEfficiency: 0.85,
    },
  },
  DeviceBatch: {
    manifest: [
      { id: 'field-0001', fleet: 'orchard' },
      { id: 'field-0002', fleet: 'orchard', system: 'ic-typical', grid: 'FRA' },
    ],
  },
  DevicePatch: { grid: { grid: 'SWE' }, undeploy: { name: 'renamed', deployedAt: null, fleet: null } },
  Windows: { batch: { windows: [exampleWindow(0), exampleWindow(1)] }, single: { seq: 7, startMs: EXAMPLE_START_MS, durationS: 10, energyJ: 0.01 } },
  MqttCredentialsRequest: { inFleet: { fleet: 'lab' }, noFleet: {} },
};

/** The OpenAPI 3.1 document served at /api/openapi.json: request and response schemas come from the zod schemas in use. */
export function openApiDocument(version: string): unknown {
  return {
    openapi: '3.1.0',
    info: {
      title: 'TinyML-Footprint',
      version,
      description:
        'Live, measured lifetime carbon footprint of TinyML devices. Numbers in a query string are decimal: integers are ' +
        'digits only, decimals may have a fraction and an exponent (0x10, 0b1, spaces and empty values are a 400). ' +
        'Every write except POST /api/calculate needs the bearer token, checked before the body is read.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { ...componentSchemas(REQUEST_SCHEMAS, 'input'), ...componentSchemas(RESPONSE_SCHEMAS, 'output') },
    },
    paths: {
      '/livez': {
        get: {
          operationId: 'getLiveness',
          summary: 'Liveness: the process answers (no store, no computation)',
          responses: { 200: json('alive', 'Liveness') },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness',
          summary: 'Readiness: the store is open, every layer started, no shutdown under way',
          responses: { 200: json('ready', 'Readiness'), 503: json('starting, or draining at shutdown', 'Readiness') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          summary: 'Prometheus exposition: the counters of /api/health, store and request latency, event-loop lag',
          responses: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string', minLength: 1 } } } } },
        },
      },
      '/api/health': {
        get: {
          operationId: 'getHealth',
          summary: 'Service and per-source status',
          responses: { 200: json('ok', 'Health'), 503: json('degraded: the store does not answer', 'Health') },
        },
      },
      '/api/catalogue': {
        get: {
          operationId: 'getCatalogue',
          summary: 'Systems, blocks and levels, training presets, reference devices, assumptions',
          responses: { 200: json('catalogue', 'Catalogue') },
        },
      },
      '/api/catalogue/grids': {
        get: { operationId: 'listGrids', summary: 'Every grid zone with its factor and dataset', responses: { 200: json('grids', 'GridList') } },
      },
      '/api/calculate': {
        post: {
          operationId: 'calculate',
          summary: 'Stateless footprint calculator',
          requestBody: body('Calculation', REQUEST_EXAMPLES.Calculation),
          responses: { 200: json('footprint breakdown', 'CalculationResult'), 400: PROBLEMS[400], 413: PROBLEMS[413], 415: PROBLEMS[415] },
        },
        get: {
          operationId: 'calculateFromQuery',
          summary: 'Calculator with query parameters (shareable URL)',
          parameters: queryParameters(calculateQuerySchema, {
            system: 'kws-typical',
            power: '27mW',
            region: 'FRA',
            years: '3',
            blocks: 'processing:1,casing=0.5',
          }),
          responses: { 200: json('footprint breakdown', 'CalculationResult'), 400: PROBLEMS[400] },
        },
      },
      '/api/devices': {
        get: {
          operationId: 'listDevices',
          summary: 'List devices',
          parameters: queryParameters(listQuerySchema),
          responses: { 200: json('devices', 'DeviceList'), 400: PROBLEMS[400] },
        },
        post: {
          operationId: 'createDevice',
          summary: `Register a device, or many (an array of up to ${MAX_DEVICES_PER_REQUEST}, one transaction: a fleet manifest)`,
          security: secured,
          parameters: queryParameters(createDevicesQuerySchema),
          requestBody: oneOfBody(['DeviceCreate', 'DeviceBatch'], { ...REQUEST_EXAMPLES.DeviceCreate, ...REQUEST_EXAMPLES.DeviceBatch }),
          responses: {
            201: oneOfJson('the device; for an array, how many were created and which existed already (existing=skip)', ['Device', 'DeviceBatchResult']),
            400: PROBLEMS[400],
            401: PROBLEMS[401],
            409: problem('a device with this id exists (for an array without existing=skip: any of them; nothing created)'),
            413: PROBLEMS[413],
            415: PROBLEMS[415],
          },
        },
      },
      '/api/devices/{id}': {
        get: {
          operationId: 'getDevice',
          summary: 'One device with its aggregate',
          parameters: [idParam],
          responses: { 200: json('device', 'DeviceWithAggregate'), 404: PROBLEMS[404] },
        },
        patch: {
          operationId: 'updateDevice',
          summary: 'Update a device',
          security: secured,
          parameters: [idParam],
          requestBody: body('DevicePatch', REQUEST_EXAMPLES.DevicePatch),
          responses: { 200: json('device', 'Device'), 400: PROBLEMS[400], 401: PROBLEMS[401], 404: PROBLEMS[404], 413: PROBLEMS[413], 415: PROBLEMS[415] },
        },
      },
      '/api/devices/{id}/windows': {
        get: {
          operationId: 'listWindows',
          summary: 'Energy windows: the most recent, newest first; or with from, to or cursor those starting in [from, to), oldest first, paged',
          parameters: [idParam, ...queryParameters(windowsQuerySchema)],
          responses: { 200: json('windows', 'WindowList'), 400: PROBLEMS[400], 404: PROBLEMS[404] },
        },
        post: {
          operationId: 'postWindows',
          summary:
            'Ingest energy windows (a redelivery is a duplicate, a re-used seq a new window); one implausible or overlapping window refuses the whole batch',
          security: secured,
          parameters: [idParam],
          requestBody: body('Windows', REQUEST_EXAMPLES.Windows),
          responses: {
            200: json('all duplicates: nothing stored', 'SubmitResult'),
            201: json('stored', 'SubmitResult'),
            400: PROBLEMS[400],
            401: PROBLEMS[401],
            404: PROBLEMS[404],
            413: PROBLEMS[413],
            415: PROBLEMS[415],
            503: PROBLEMS[503],
          },
        },
      },
      '/api/devices/{id}/series': {
        get: {
          operationId: 'getSeries',
          summary: "The device's windows summed per bucket (energy, average / min / max power, coverage, inferences) for charts",
          parameters: [idParam, ...queryParameters(seriesQuerySchema)],
          responses: { 200: json('buckets holding windows, oldest first', 'Series'), 400: PROBLEMS[400], 404: PROBLEMS[404] },
        },
      },
      '/api/devices/{id}/import': {
        post: {
          operationId: 'importMeasurement',
          summary:
            'Import a measurement made elsewhere (EnergyRunner session files, nRF Power Profiler CSV, Joulescope statistics CSV) as windows of the device; the same files again change nothing; a truncated or unknown file stores nothing (400)',
          security: secured,
          parameters: [idParam],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `${COMPONENTS}Import` } } } },
          responses: {
            200: json('all windows already stored: nothing changed', 'ImportSummary'),
            201: json('stored', 'ImportSummary'),
            400: PROBLEMS[400],
            401: PROBLEMS[401],
            404: PROBLEMS[404],
            413: problem(`body over ${MAX_IMPORT_BODY_BYTES} bytes (this route's own limit)`),
            415: PROBLEMS[415],
            503: PROBLEMS[503],
          },
        },
      },
      '/api/devices/{id}/footprint': {
        get: {
          operationId: 'getDeviceFootprint',
          summary: 'Live lifetime footprint of one device (with an ETag; If-None-Match answers 304 while nothing changed)',
          parameters: [
            idParam,
            {
              name: 'If-None-Match',
              in: 'header',
              required: false,
              description: 'the ETag of a footprint already held: 304 without a body when it is still current',
              schema: { type: 'string' },
            },
          ],
          responses: {
            200: {
              ...json('footprint', 'DeviceFootprint'),
              headers: { ETag: { description: 'strong entity tag of this body', schema: { type: 'string' } } },
            },
            304: { description: 'not modified: the footprint named by If-None-Match is still current', headers: { ETag: { schema: { type: 'string' } } } },
            404: PROBLEMS[404],
          },
        },
      },
      '/api/devices/{id}/mqtt-credentials': {
        post: {
          operationId: 'issueMqttCredentials',
          summary: 'Issue MQTT credentials for the embedded broker (the password is returned once; re-issuing revokes the old one)',
          security: secured,
          parameters: [idParam],
          requestBody: body('MqttCredentialsRequest', REQUEST_EXAMPLES.MqttCredentialsRequest, false),
          responses: {
            201: json('credentials', 'MqttCredentials'),
            400: PROBLEMS[400],
            401: PROBLEMS[401],
            409: problem('the embedded broker is not running'),
            413: PROBLEMS[413],
            415: PROBLEMS[415],
          },
        },
        delete: {
          operationId: 'revokeMqttCredentials',
          summary: "Revoke a device's MQTT credentials",
          security: secured,
          parameters: [idParam],
          responses: {
            204: { description: 'revoked' },
            401: PROBLEMS[401],
            404: problem('no credentials for this device'),
            409: problem('the embedded broker is not running'),
          },
        },
      },
      '/api/fleet': {
        get: {
          operationId: 'getFleet',
          summary:
            'Fleet totals (O(1); `rows` absent with rows=false) and one page of device rows, filtered (fleet, q, status) and sorted (sort, dir) on the server; `matched` counts the filtered rows',
          parameters: queryParameters(fleetQuerySchema),
          responses: { 200: json('fleet', 'Fleet'), 400: PROBLEMS[400] },
        },
      },
      '/api/fleet/overview': {
        get: {
          operationId: 'getFleetOverview',
          summary:
            'The fleet at a glance: online / stale / offline counts, the measured power histogram, totals per MQTT fleet, and the online count over time since the service started (from running sums kept as devices change: O(groups) per request)',
          parameters: queryParameters(fleetOverviewQuerySchema),
          responses: { 200: json('fleet overview', 'FleetOverview'), 400: PROBLEMS[400] },
        },
      },
      '/api/events': {
        get: {
          operationId: 'streamEvents',
          summary:
            'Server-sent events: a `hello`, then `update` events with fleet rows (and, with `device`, its power points and footprint); heartbeat comments',
          parameters: queryParameters(eventsQuerySchema),
          responses: {
            200: {
              description: 'an event stream',
              content: { 'text/event-stream': { schema: { type: 'string', description: 'event: hello | update, data: JSON' } } },
            },
            400: PROBLEMS[400],
            404: PROBLEMS[404],
            503: problem(`more than ${MAX_EVENT_CLIENTS} streams at once`),
          },
        },
      },
    },
  };
}
