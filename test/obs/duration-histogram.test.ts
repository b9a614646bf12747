import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DurationHistogram } from '../../src/obs/duration-histogram.js';
import { HTTP_DURATION_BUCKETS_S } from '../../src/obs/prometheus.js';

const NAME = 'tinyml_http_request_duration_seconds';
const HELP = 'HTTP requests from arrival to the last byte of the answer, by route template and status.';

/** The same observations into prom-client's own Histogram and into ours, each in a registry of its own: their texts. */
async function bothTexts(observations: readonly [string, string, number, number][]): Promise<[string, string]> {
  const theirs = new Registry();
  const histogram = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status'],
    buckets: [...HTTP_DURATION_BUCKETS_S],
    registers: [theirs],
  });
  const ours = new Registry();
  const durations = new DurationHistogram(NAME, HELP, HTTP_DURATION_BUCKETS_S);
  ours.registerMetric(durations as unknown as Metric);
  for (const [method, route, status, seconds] of observations) {
    histogram.observe({ method, route, status: String(status) }, seconds);
    durations.observe(method, route, status, seconds);
  }
  return [await theirs.metrics(), await ours.metrics()];
}

describe('DurationHistogram', () => {
  it('gives the registry the text of prom-client’s Histogram: series in first-seen order, values on and between bounds, above all, sums', async () => {
    const observations: [string, string, number, number][] = [];
    const routes = ['/api/devices/:id/footprint', '/livez', 'unmatched', '/api/fleet'];
    const bounds = [...HTTP_DURATION_BUCKETS_S];
    for (let index = 0; index < 400; index += 1) {
      const route = routes[index % routes.length]!;
      const status = [200, 304, 404, 500][(index >> 2) % 4]!;
      // on a bound, just above one, far above every bound, zero
      const seconds =
        index % 5 === 0
          ? bounds[index % bounds.length]!
          : index % 5 === 1
            ? bounds[index % bounds.length]! * 1.0001
            : index % 5 === 2
              ? 30 + index
              : index % 5 === 3
                ? 0
                : index / 7919;
      observations.push([index % 9 === 0 ? 'POST' : 'GET', route, status, seconds]);
    }
    const [theirs, ours] = await bothTexts(observations);
    expect(ours).toContain(`${NAME}_bucket{le="+Inf",method="GET",route="/livez",status="304"}`);
    expect(ours).toBe(theirs);
  });

  it('writes nothing but its help and type before the first request, as the Histogram does', async () => {
    const [theirs, ours] = await bothTexts([]);
    expect(ours).toBe(theirs);
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const durations = new DurationHistogram(NAME, HELP, HTTP_DURATION_BUCKETS_S);
    expect(() => durations.observe('GET', '/livez', 200, Number.NaN)).toThrow(TypeError);
  });
});
