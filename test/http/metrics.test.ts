/** GET /metrics: the exposition parses strictly, names come from the typed counter registry, and counters move with ingest. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_FAMILY } from '../../src/http/http-stats.js';
import { INGEST_FAMILY } from '../../src/ingest/ingest-service.js';
import { metricName, rejectedMetricName } from '../../src/obs/counters.js';
import { parsePrometheusText, sampleValue, type MetricFamily } from '../helpers/prom-text.js';
import { request, startTestService, type TestService } from '../helpers/service.js';

let ctx: TestService;
beforeAll(async () => {
  ctx = await startTestService();
});
afterAll(async () => {
  await ctx.close();
});

const T0 = Date.parse('2026-11-01T00:00:00Z');
const window = (seq: number, powerW: number) => ({
  seq,
  startMs: T0 + seq * 10_000,
  durationS: 10,
  energyJ: powerW * 10,
  sampleCount: 1000,
  minPowerW: powerW / 2,
  maxPowerW: powerW * 2,
  inferenceCount: 3,
});

async function scrape(): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${ctx.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

function value(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const found = sampleValue(families, name, labels);
  if (found === undefined) throw new Error(`no series ${name}${JSON.stringify(labels)}`);
  return found;
}

describe('GET /metrics', () => {
  it('exposes every declared counter of the registry under its declared name, type and help, with every reason at 0', async () => {
    const families = await scrape();
    for (const family of [HTTP_FAMILY, INGEST_FAMILY]) {
      for (const [key, spec] of Object.entries(family.counters)) {
        const name = metricName(family, key);
        const declared = families.get(name);
        expect(declared, name).toBeDefined();
        expect(declared!.type).toBe(spec.type);
        expect(declared!.help).toBe(spec.help);
      }
      const rejected = families.get(rejectedMetricName(family))!;
      expect(rejected.samples.map((sample) => sample.labels['reason'])).toEqual([...family.reasons]);
      expect(rejected.samples.every((sample) => sample.value === 0 || family === HTTP_FAMILY)).toBe(true);
    }
    expect(value(families, 'tinyml_source_state', { source: 'http', state: 'listening' })).toBe(1);
    // Node's process metrics: the event-loop delay histogram's p99, the heap.
    expect(value(families, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(families, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts windows stored, duplicated and refused by reason, the store latency and request durations', async () => {
    const before = await scrape();
    expect((await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'scraped' } })).status).toBe(201);
    const post = (windows: unknown[]) => request(`${ctx.url}/api/devices/scraped/windows`, { method: 'POST', token: ctx.token, json: { windows } });
    expect((await post([window(0, 0.02), window(1, 0.02)])).body).toMatchObject({ inserted: 2 });
    expect((await post([window(0, 0.02)])).body).toMatchObject({ duplicates: 1 });
    // 200 W: over the plausibility bound (SPEC.md §7), refused by the request schema before ingest sees it.
    expect((await post([window(2, 200)])).status).toBe(400);
    // Over the time of a stored window: refused by ingest (the store's overlap check), with its reason.
    expect((await post([{ ...window(0, 0.03), seq: 9 }])).status).toBe(400);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

    expect(delta('tinyml_ingest_windows_inserted_total', { source: 'ingest' })).toBe(2);
    expect(delta('tinyml_ingest_windows_duplicate_total', { source: 'ingest' })).toBe(1);
    expect(delta('tinyml_ingest_windows_rejected_total', { source: 'ingest' })).toBe(1);
    expect(delta('tinyml_ingest_rejected_total', { source: 'ingest', reason: 'overlap' })).toBe(1);
    expect(delta('tinyml_http_windows_inserted_total', { source: 'http' })).toBe(2);
    expect(delta('tinyml_http_rejected_total', { source: 'http', reason: 'validation' })).toBe(2);
    expect(delta('tinyml_http_requests_total', { source: 'http' })).toBe(6); // the registration, 4 posts and the first scrape
    expect(value(after, 'tinyml_store_operation_duration_seconds_count', { operation: 'appendWindowGroups', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(value(after, 'tinyml_http_request_duration_seconds_count', { method: 'POST', route: '/api/devices/:id/windows', status: '201' })).toBe(1);
    expect(value(after, 'tinyml_http_request_duration_seconds_count', { method: 'POST', route: '/api/devices/:id/windows', status: '400' })).toBe(2);
  });
});
