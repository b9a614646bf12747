/** The served footprint is deviceFootprint's JSON byte for byte, from one cached serialisation per (spec, power summary). */
import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { ValidationError } from '../../src/domain/errors.js';
import type { Device, DeviceAggregate, DeviceSpec, EnergyWindow } from '../../src/domain/types.js';
import type { DevicePresence } from '../../src/live/device-presence.js';
import { deviceFootprint } from '../../src/service/device-footprint.js';
import { FootprintCache, MAX_FOOTPRINT_HEADS } from '../../src/service/footprint-cache.js';
import { matchesEtag } from '../../src/service/footprint-served.js';
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

/** One request's inputs, as the route gives them to FootprintCache.serve. */
interface Ask {
  device: Device;
  aggregate: DeviceAggregate | undefined;
  nowMs: number;
  presence?: DevicePresence;
}

/**
 * A device's requests through every kind of change the fleet index hands the cache (each a new object: the index and
 * the stores never change one in place), then the time-dependent parts (status, accrued) with the objects unchanged.
 */
function changes(): Ask[] {
  const d = device('a', SEED_DEFAULT_SPEC, '2025-06-01T00:00:00Z');
  const agg = aggregate('a', 0.01, 3);
  const moreEnergy = { ...agg, energyJ: agg.energyJ * 1.5 };
  const moreWindows = aggregate('a', 0.01, 4);
  // the same power summary (the same entry): only the aggregate's JSON and the power's uncertainty change
  const widerRange = { ...moreWindows, maxPowerW: 0.05, energySquaresJ2: moreWindows.energySquaresJ2 * 2 };
  const renamed = { ...d, name: 'renamed' };
  const respecified = { ...renamed, spec: SPECS[1]! };
  const online: DevicePresence = { state: 'online', sinceMs: NOW_MS - 2_000, via: 'status' };
  const offline: DevicePresence = { state: 'offline', sinceMs: NOW_MS - 1_000, via: 'status' };
  // offline still, by another report: only the presence's fields change
  const offlineAgain: DevicePresence = { state: 'offline', sinceMs: NOW_MS + 30_000, via: 'connection' };
  const undeployed = { ...respecified, deployedAt: null };
  return [
    { device: d, aggregate: agg, nowMs: NOW_MS },
    { device: d, aggregate: moreEnergy, nowMs: NOW_MS },
    { device: d, aggregate: moreWindows, nowMs: NOW_MS },
    { device: d, aggregate: widerRange, nowMs: NOW_MS },
    { device: renamed, aggregate: widerRange, nowMs: NOW_MS },
    { device: respecified, aggregate: widerRange, nowMs: NOW_MS },
    // its last window 5 s before NOW_MS: offline once the threshold has passed, by time alone
    { device: respecified, aggregate: widerRange, nowMs: NOW_MS + THRESHOLD_MS },
    { device: respecified, aggregate: widerRange, nowMs: NOW_MS + THRESHOLD_MS, presence: online },
    { device: respecified, aggregate: widerRange, nowMs: NOW_MS + THRESHOLD_MS, presence: offline },
    { device: respecified, aggregate: widerRange, nowMs: NOW_MS + THRESHOLD_MS, presence: offlineAgain },
    { device: respecified, aggregate: undefined, nowMs: NOW_MS + THRESHOLD_MS },
    { device: undeployed, aggregate: undefined, nowMs: NOW_MS + THRESHOLD_MS },
    { device: undeployed, aggregate: agg, nowMs: NOW_MS + THRESHOLD_MS },
    // no accrued: only the status changes
    { device: undeployed, aggregate: agg, nowMs: NOW_MS + THRESHOLD_MS, presence: online },
  ];
}

describe('FootprintCache: what a device adds, kept between its requests', () => {
  it('answers JSON.stringify(deviceFootprint(…)) on every request after each kind of change, the second of each from the kept parts', () => {
    const cache = new FootprintCache(catalogue);
    let kept = 0;
    let previous: Ask | undefined;
    for (const ask of changes()) {
      const expected = JSON.stringify(deviceFootprint(catalogue, ask.device, ask.aggregate, ask.nowMs, THRESHOLD_MS, ask.presence));
      for (let round = 0; round < 2; round += 1) {
        const served = cache.serve(ask.device, ask.aggregate, ask.nowMs, THRESHOLD_MS, ask.presence);
        expect(served.body).toBe(expected);
        expect(served.byteLength).toBe(Buffer.byteLength(expected));
        if (previous !== undefined && previous.device === ask.device && previous.aggregate === ask.aggregate) kept += 1;
        previous = ask;
      }
    }
    expect(kept).toBeGreaterThan(changes().length);
    // the device's first request is not kept (kept from its second on, ADMISSION_SLOTS): its second made the parts again
    expect(cache.headHits).toBe(kept - 1);
  });

  it('changes the tag when a new aggregate object with another energyJ replaces the old, and when the status or accrued changes; one tag, one body', () => {
    const cache = new FootprintCache(catalogue);
    const bodyOf = new Map<string, string>();
    const serve = (ask: Ask): string => {
      const served = cache.serve(ask.device, ask.aggregate, ask.nowMs, THRESHOLD_MS, ask.presence);
      const known = bodyOf.get(served.etag);
      if (known !== undefined) expect(served.body).toBe(known); // the same tag always means the same bytes
      bodyOf.set(served.etag, served.body);
      return served.etag;
    };
    const asks = changes();
    const tags = asks.map((ask) => [serve(ask), serve(ask)]);
    for (const [first, second] of tags) expect(second).toBe(first);
    // every change above changes the body, so each state has its own tag
    expect(new Set(tags.map(([first]) => first)).size).toBe(asks.length);
    expect(bodyOf.size).toBe(asks.length);

    // the first two asks: the same device object, a new aggregate object whose only difference is energyJ
    expect(
      Object.keys(asks[0]!.aggregate!).filter((key) => asks[0]!.aggregate![key as keyof DeviceAggregate] !== asks[1]!.aggregate![key as keyof DeviceAggregate]),
    ).toEqual(['energyJ']);
    expect(tags[1]![0]).not.toBe(tags[0]![0]);
    // a new aggregate object equal to the old is the same body: the same tag (a poll after the index re-read it is a 304)
    expect(serve({ ...asks[0]!, aggregate: { ...asks[0]!.aggregate! } })).toBe(tags[0]![0]);
    // accrued alone: a millisecond later, the objects and the status unchanged
    const at = asks.findIndex((ask) => ask.aggregate !== undefined && ask.device.deployedAt !== null && ask.nowMs > NOW_MS);
    const later = { ...asks[at]!, nowMs: asks[at]!.nowMs + 1 };
    expect(serve(later)).not.toBe(tags[at]![0]);
    // an undeployed device has no time-dependent part: the tag stays
    const undeployed = asks.findIndex((ask) => ask.device.deployedAt === null);
    expect(serve({ ...asks[undeployed]!, nowMs: asks[undeployed]!.nowMs + 5_000 })).toBe(tags[undeployed]![0]);
  });

  it("a presence's since alone or via alone, the device and aggregate objects the same: a new body and a new tag", () => {
    const cache = new FootprintCache(catalogue);
    const d = device('a', SEED_DEFAULT_SPEC, '2025-06-01T00:00:00Z');
    const agg = aggregate('a', 0.01, 3);
    const since: DevicePresence = { state: 'online', sinceMs: NOW_MS - 2_000, via: 'status' };
    const laterSince: DevicePresence = { ...since, sinceMs: NOW_MS - 1_000 };
    const otherVia: DevicePresence = { ...laterSince, via: 'connection' };
    const serve = (presence: DevicePresence): { body: string; etag: string } => {
      const served = cache.serve(d, agg, NOW_MS, THRESHOLD_MS, presence);
      expect(served.body).toBe(JSON.stringify(deviceFootprint(catalogue, d, agg, NOW_MS, THRESHOLD_MS, presence)));
      return { body: served.body, etag: served.etag };
    };
    serve(since);
    const first = serve(since); // the second request: served from the kept parts
    expect(cache.headHits).toBe(0);
    const sinceChanged = serve(laterSince);
    expect(cache.headHits).toBe(1);
    expect(sinceChanged.body).not.toBe(first.body);
    expect(sinceChanged.etag).not.toBe(first.etag);
    const viaChanged = serve(otherVia);
    expect(viaChanged.body).not.toBe(sinceChanged.body);
    expect(viaChanged.etag).not.toBe(sinceChanged.etag);
  });

  it('keeps the parts of a device from its second request on, of at most MAX_FOOTPRINT_HEADS devices, the least recently asked forgotten first', () => {
    const cache = new FootprintCache(catalogue);
    const devices = Array.from({ length: MAX_FOOTPRINT_HEADS + 2 }, (_, index) => device(`d${index}`, SEED_DEFAULT_SPEC));
    const ask = (d: Device): void => void cache.serve(d, undefined, NOW_MS, THRESHOLD_MS);
    ask(devices[0]!);
    expect(cache.headCount).toBe(0); // asked for once: not kept
    ask(devices[0]!);
    expect([cache.headCount, cache.headHits]).toEqual([1, 0]);
    for (const d of devices.slice(1, MAX_FOOTPRINT_HEADS)) {
      ask(d);
      ask(d);
    }
    expect(cache.headCount).toBe(MAX_FOOTPRINT_HEADS);
    ask(devices[0]!); // d0 asked again: now the most recent
    expect(cache.headHits).toBe(1);
    ask(devices[MAX_FOOTPRINT_HEADS]!);
    ask(devices[MAX_FOOTPRINT_HEADS]!); // kept: one over, d1 forgotten
    expect(cache.headCount).toBe(MAX_FOOTPRINT_HEADS);
    ask(devices[0]!);
    expect(cache.headHits).toBe(2);
    ask(devices[1]!);
    expect(cache.headHits).toBe(2);
    expect(cache.headCount).toBe(MAX_FOOTPRINT_HEADS);
  });
});
