import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../protocol/limits.js';
import { calculateBodySchema, createDeviceSchema, patchDeviceSchema, windowSchema, windowsBodySchema } from './schemas.js';

const problem = { description: 'Problem details (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const body = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: DEVICE_ID_PATTERN.source } };
const secured = [{ bearer: [] }];

function schema(zodSchema: z.ZodType): unknown {
  return z.toJSONSchema(zodSchema, { io: 'input', unrepresentable: 'any' });
}

/** The OpenAPI 3.1 document served at /api/openapi.json; request bodies come from the same zod schemas that validate them. */
export function openApiDocument(version: string): unknown {
  return {
    openapi: '3.1.0',
    info: { title: 'TinyML-Footprint', version, description: 'Live, measured lifetime carbon footprint of TinyML devices.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Calculation: schema(calculateBodySchema),
        DeviceCreate: schema(createDeviceSchema),
        DevicePatch: schema(patchDeviceSchema),
        Window: schema(windowSchema),
        Windows: schema(windowsBodySchema),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, errors: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
    paths: {
      '/api/health': { get: { summary: 'Service and per-source status', responses: { 200: json('ok'), 503: json('degraded') } } },
      '/api/catalogue': { get: { summary: 'Systems, blocks and levels, training presets, reference devices, assumptions', responses: { 200: json('catalogue') } } },
      '/api/catalogue/grids': { get: { summary: 'Every grid zone with its factor and dataset', responses: { 200: json('grids') } } },
      '/api/calculate': {
        post: { summary: 'Stateless footprint calculator', requestBody: body('Calculation'), responses: { 200: json('footprint breakdown'), 400: problem } },
        get: {
          summary: 'Calculator with query parameters (shareable URL)',
          parameters: ['system', 'power', 'region', 'grid', 'years', 'lifetimeYears', 'training', 'trainingDevices', 'chargerEfficiency', 'scenario', 'blocks'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { 200: json('footprint breakdown'), 400: problem },
        },
      },
      '/api/devices': {
        get: { summary: 'List devices', parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }, { name: 'fleet', in: 'query', schema: { type: 'string' } }], responses: { 200: json('devices') } },
        post: { summary: 'Register a device', security: secured, requestBody: body('DeviceCreate'), responses: { 201: json('device'), 400: problem, 401: problem, 409: problem, 413: problem } },
      },
      '/api/devices/{id}': {
        get: { summary: 'One device with its aggregate', parameters: [idParam], responses: { 200: json('device'), 404: problem } },
        patch: { summary: 'Update a device', security: secured, parameters: [idParam], requestBody: body('DevicePatch'), responses: { 200: json('device'), 400: problem, 401: problem, 404: problem } },
      },
      '/api/devices/{id}/windows': {
        get: { summary: 'Most recent energy windows', parameters: [idParam, { name: 'limit', in: 'query', schema: { type: 'integer' } }], responses: { 200: json('windows'), 404: problem } },
        post: { summary: 'Ingest energy windows (idempotent by seq)', security: secured, parameters: [idParam], requestBody: body('Windows'), responses: { 200: json('all duplicates'), 201: json('stored'), 400: problem, 401: problem, 404: problem, 413: problem } },
      },
      '/api/devices/{id}/footprint': { get: { summary: 'Live lifetime footprint of one device', parameters: [idParam], responses: { 200: json('footprint'), 404: problem } } },
      '/api/devices/{id}/mqtt-credentials': {
        post: {
          summary: 'Issue MQTT credentials for the embedded broker (the password is returned once; re-issuing revokes the old one)',
          security: secured,
          parameters: [idParam],
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { fleet: { type: 'string', pattern: DEVICE_ID_PATTERN.source } } } } } },
          responses: { 201: json('credentials'), 400: problem, 401: problem, 409: problem },
        },
        delete: { summary: "Revoke a device's MQTT credentials", security: secured, parameters: [idParam], responses: { 204: { description: 'revoked' }, 401: problem, 404: problem } },
      },
      '/api/fleet': { get: { summary: 'Lifetime footprint of every device and fleet totals', parameters: [{ name: 'fleet', in: 'query', schema: { type: 'string' } }, { name: 'rows', in: 'query', schema: { type: 'string', enum: ['true', 'false'] } }], responses: { 200: json('fleet') } } },
      '/api/events': { get: { summary: 'Server-sent events: live windows, power and device changes', responses: { 200: { description: 'text/event-stream' } } } },
    },
  };
}
