/** The served footprint is deviceFootprint's JSON byte for byte, from one cached serialisation per (spec, power summary). */
import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { ValidationError } from '../../src/domain/errors.js';
import type { Device, DeviceAggregate, DeviceSpec, EnergyWindow } from '../../src/domain/types.js';
import { deviceFootprint } from '../../src/service/device-footprint.js';
import { FootprintCache, matchesEtag } from '../../src/service/footprint-cache.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';

const catalogue = buildCatalogue();
const NOW_MS = Date.parse('2026-12-01T12:00:00Z');
const THRESHOLD_MS = 60_000;

function device(id: string, spec: DeviceSpec, deployedAt: string | null = null): Device {
  return { id, name: id, fleet: null, deployedAt, spec, createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-01T00:00:00.000Z' };
}

function aggregate(deviceId: string, powerW: number, windows: number): DeviceAggregate {
  return {
    deviceId,
    energyJ: powerW * 10 * windows,
    observedS: 10 * windows,
    windows,
    samples: 100 * windows,
    inferences: windows,
    minPowerW: powerW,
    maxPowerW: powerW,
    maxSeq: windows - 1,
    firstSeenMs: NOW_MS - windows * 10_000,
    lastSeenMs: NOW_MS - 5_000,
    energySquaresJ2: (powerW * 10) ** 2 * windows,
    energyDurationJS: powerW * 10 * 10 * windows,
    durationSquaresS2: 100 * windows,
    inferenceSpanWindows: 0,
    instruments: [],
    instrumentedS: 0,
  };
}

const SPECS: DeviceSpec[] = [
  SEED_DEFAULT_SPEC,
  { ...SEED_DEFAULT_SPEC, system: 'ic-typical', lifetimeYears: 10, grid: 'custom:0.9' },
  { ...SEED_DEFAULT_SPEC, battery: { capacityWh: 0.5, cycleLife: 50 } },
];
/** Beyond the 54 combinations of SPECS: a custom system (block overrides, another scenario) through the same spliced path. */
const CUSTOM_SPEC: DeviceSpec = {
  ...SEED_DEFAULT_SPEC,
  system: { base: 'kws-typical', scenario: 'max', blocks: { casing: { kgCO2e: 0.3 }, processing: { level: 1 } } },
};

describe('FootprintCache', () => {
  it('serves JSON.stringify(deviceFootprint(…)) exactly (spliced from the spec template): assumed and measured power, deployed or not, with presence', () => {
    const cache = new FootprintCache(catalogue);
    let cases = 0;
    for (const spec of [...SPECS, CUSTOM_SPEC])
      for (const deployedAt of [null, '2025-06-01T00:00:00Z', '2000-01-01T00:00:00Z'])
        for (const agg of [undefined, aggregate('d', 0.0272, 5), aggregate('d', 0.1663, 500)])
          for (const presence of [undefined, { state: 'offline' as const, sinceMs: NOW_MS - 1_000, via: 'status' as const }]) {
            const d = device('d', spec, deployedAt);
            // twice: the second answer comes from the cache and must be the same bytes
            for (let round = 0; round < 2; round += 1) {
              const served = cache.serve(d, agg, NOW_MS + round, THRESHOLD_MS, presence);
              expect(served.body).toBe(JSON.stringify(deviceFootprint(catalogue, d, agg, NOW_MS + round, THRESHOLD_MS, presence)));
            }
            cases += 1;
          }
    expect(cases).toBe(54 + 18);
    // a footprint is kept at its second request (ADMISSION_SLOTS): the first two of each (spec, power summary) render
    expect(cache.misses).toBe((SPECS.length + 1) * 3 * 2);
    expect(cache.hits).toBe(cases * 2 - cache.misses);
  });

  it('one entry serves every device with the same spec and power; the tag changes exactly when the body does', () => {
    const cache = new FootprintCache(catalogue);
    const a = cache.serve(device('a', SEED_DEFAULT_SPEC), undefined, NOW_MS, THRESHOLD_MS);
    const b = cache.serve(device('b', SEED_DEFAULT_SPEC), undefined, NOW_MS, THRESHOLD_MS);
    expect(cache.size).toBe(1);
    expect(a.etag).not.toBe(b.etag);
    expect(cache.serve(device('a', SEED_DEFAULT_SPEC), undefined, NOW_MS + 5_000, THRESHOLD_MS)).toEqual(a); // nothing time-dependent
    const measured = cache.serve(device('a', SEED_DEFAULT_SPEC), aggregate('a', 0.01, 3), NOW_MS, THRESHOLD_MS);
    expect(measured.etag).not.toBe(a.etag);
    const deployed = device('a', SEED_DEFAULT_SPEC, '2026-01-01T00:00:00Z');
    expect(cache.serve(deployed, undefined, NOW_MS, THRESHOLD_MS).etag).not.toBe(cache.serve(deployed, undefined, NOW_MS + 1_000, THRESHOLD_MS).etag);
    expect(cache.size).toBe(1); // the measured one was asked for once: rendered, not kept
  });

  it('tags inference spans: the same aggregate with other spans is another body and another tag, the same spans the same', () => {
    const cache = new FootprintCache(catalogue);
    const d = device('a', SEED_DEFAULT_SPEC);
    const agg = { ...aggregate('a', 0.01, 3), inferenceSpanWindows: 2 };
    const span = (seq: number, energyJ: number): EnergyWindow => ({
      deviceId: 'a',
      seq,
      startMs: NOW_MS - 60_000 + seq * 10_000,
      durationS: 10,
      energyJ,
      sampleCount: 100,
      minPowerW: 0.005,
      maxPowerW: 0.02,
      inferenceCount: 4,
      source: 'test',
    });
    const spans = [span(2, 0.1), span(1, 0.12)];
    const other = [span(2, 0.1), span(1, 0.2)];
    const served = cache.serve(d, agg, NOW_MS, THRESHOLD_MS, undefined, spans);
    const again = cache.serve(d, agg, NOW_MS, THRESHOLD_MS, undefined, [...spans]);
    const otherServed = cache.serve(d, agg, NOW_MS, THRESHOLD_MS, undefined, other);
    expect(served.body).toBe(JSON.stringify(deviceFootprint(catalogue, d, agg, NOW_MS, THRESHOLD_MS, undefined, spans)));
    expect(otherServed.body).toBe(JSON.stringify(deviceFootprint(catalogue, d, agg, NOW_MS, THRESHOLD_MS, undefined, other)));
    expect(otherServed.body).not.toBe(served.body);
    expect(otherServed.etag).not.toBe(served.etag);
    expect(again.body).toBe(served.body);
    expect(again.etag).toBe(served.etag);
    // without spans, the aggregate's own figures: another body again, and another tag
    const none = cache.serve(d, agg, NOW_MS, THRESHOLD_MS);
    expect(none.body).not.toBe(served.body);
    expect(none.etag).not.toBe(served.etag);
  });

  it('keeps a footprint from its second request on, with the same tag and bytes kept or not', () => {
    const cache = new FootprintCache(catalogue);
    const d = device('a', SEED_DEFAULT_SPEC);
    const agg = aggregate('a', 0.01, 3);
    const first = cache.serve(d, agg, NOW_MS, THRESHOLD_MS);
    expect(cache.size).toBe(0);
    const second = cache.serve(d, agg, NOW_MS, THRESHOLD_MS);
    expect(cache.size).toBe(1);
    const third = cache.serve(d, agg, NOW_MS, THRESHOLD_MS);
    expect([cache.misses, cache.hits]).toEqual([2, 1]);
    for (const served of [second, third]) {
      expect(served.etag).toBe(first.etag);
      expect(served.body).toBe(first.body);
    }
    expect(first.body).toBe(JSON.stringify(deviceFootprint(catalogue, d, agg, NOW_MS, THRESHOLD_MS)));
  });

  it('refuses a spec that does not resolve, as deviceFootprint does', () => {
    const cache = new FootprintCache(catalogue);
    expect(() => cache.serve(device('x', { ...SEED_DEFAULT_SPEC, grid: 'em:NO-SUCH-ZONE' }), undefined, NOW_MS, THRESHOLD_MS)).toThrow(ValidationError);
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    expect(matchesEtag(undefined, '"a"')).toBe(false);
    expect(matchesEtag('"a"', '"a"')).toBe(true);
    expect(matchesEtag('"b", W/"a"', '"a"')).toBe(true);
    expect(matchesEtag('*', '"a"')).toBe(true);
    expect(matchesEtag('"ab"', '"a"')).toBe(false);
  });
});
