import { beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_EXAMPLES } from '../../src/http/openapi.js';
import { useOpenapiService, type Answer } from './openapi-harness.js';
import { boundaryInputs, invalidInputs, queryValues, type JsonSchema } from './schema-inputs.js';

const api = useOpenapiService();
const { call, callStream, freshDevice, freshId, resolve } = api;

/** The device the query sweep's paths name (`{id}`): registered here, as the route walk (openapi.test.ts) registers it there. */
const SWEEP_DEVICE = 'node-1';
beforeAll(async () => {
  expect((await call('POST', '/api/devices', { token: api.ctx.token, json: { id: SWEEP_DEVICE } })).status).toBe(201);
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
        return call('POST', '/api/devices', {
          token: api.ctx.token,
          json: exampleIds.includes(record['id'] as string) ? { ...record, id: freshId('fz') } : json,
        });
      },
    },
    {
      schema: 'DevicePatch',
      operationId: 'updateDevice',
      send: async (json) => call('PATCH', `/api/devices/${await freshDevice()}`, { token: api.ctx.token, json }),
    },
    {
      schema: 'Windows',
      operationId: 'postWindows',
      send: async (json) => call('POST', `/api/devices/${await freshDevice()}/windows`, { token: api.ctx.token, json }),
    },
    {
      schema: 'MqttCredentialsRequest',
      operationId: 'issueMqttCredentials',
      send: async (json) => call('POST', `/api/devices/${freshId('mq')}/mqtt-credentials`, { token: api.ctx.token, json }),
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
      for (const [template, item] of Object.entries(api.doc.paths)) {
        const operation = item['get'];
        if (operation === undefined) continue;
        const pathname = template.replace('{id}', SWEEP_DEVICE);
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
