import { Router } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { MAX_INFERENCE_SPANS_FOR_MEDIAN } from '../../service/device-footprint.js';
import { FootprintCache } from '../../service/footprint-cache.js';
import { matchesEtag, type ServedFootprint } from '../../service/footprint-served.js';
import type { PresenceRegistry } from '../../live/device-presence.js';
import type { Store } from '../../store/store.js';
import type { Device, DeviceAggregate, EnergyWindow } from '../../domain/types.js';
import { deviceIdParam } from './device-params.js';

export const FOOTPRINT_ROUTE = '/devices/:id/footprint';

/** What GET /api/devices/:id/footprint answers: 200 with the body, or 304 when If-None-Match named the current tag. */
export interface FootprintAnswer {
  status: 200 | 304;
  etag: string;
  /** The JSON body in its parts (200 only). */
  body: ServedFootprint | null;
}

/**
 * One device's footprint answer; throws (or rejects with) NotFoundError for an unknown device, the model's
 * ValidationError for a spec that no longer resolves. Answered synchronously when the device and its aggregate are in
 * memory (no promise: each hop costs the hot path), else after the store's reads.
 */
export type FootprintResponder = (id: string, ifNoneMatch: string | undefined) => FootprintAnswer | Promise<FootprintAnswer>;

/** The device and its aggregate as the store holds them now, from memory, or undefined (the store is read). */
export type StoredNow = (id: string) => { device: Device; aggregate: DeviceAggregate | null } | undefined;

/**
 * The live lifetime footprint of one device: the hot path of dashboards and API clients. Served from a ready
 * serialisation (FootprintCache) with an ETag; a client that sends it back in If-None-Match gets 304 while nothing
 * changed. Shared by the Express route and the fast path ahead of Express (fast-path.ts): one cache.
 */
export function footprintResponder(
  store: Store,
  catalogue: Catalogue,
  clock: () => number,
  onlineThresholdMs: number,
  presence: PresenceRegistry,
  storedNow: StoredNow = () => undefined,
): FootprintResponder {
  const cache = new FootprintCache(catalogue);
  const answer = (device: Device, aggregate: DeviceAggregate | undefined, spans: readonly EnergyWindow[], ifNoneMatch: string | undefined): FootprintAnswer => {
    const served = cache.serve(device, aggregate, clock(), onlineThresholdMs, presence.get(device.id), spans);
    if (matchesEtag(ifNoneMatch, served.etag)) return { status: 304, etag: served.etag, body: null };
    return { status: 200, etag: served.etag, body: served };
  };
  const fromStore = async (id: string, ifNoneMatch: string | undefined): Promise<FootprintAnswer> => {
    const [device, aggregate] = await Promise.all([store.getDevice(id), store.getAggregate(id)]);
    if (device === undefined) throw new NotFoundError(`device "${id}" is not registered`);
    return answer(device, aggregate, await spansOf(id, aggregate), ifNoneMatch);
  };
  // Only a device with marker-bounded windows pays for reading them (the partial index keeps it a short range).
  const spansOf = async (id: string, aggregate: DeviceAggregate | undefined): Promise<readonly EnergyWindow[]> =>
    aggregate !== undefined && aggregate.inferenceSpanWindows > 0 ? store.listInferenceSpans(id, MAX_INFERENCE_SPANS_FOR_MEDIAN) : [];
  return (id, ifNoneMatch) => {
    const stored = storedNow(id);
    if (stored === undefined) return fromStore(id, ifNoneMatch);
    const aggregate = stored.aggregate ?? undefined;
    if (aggregate !== undefined && aggregate.inferenceSpanWindows > 0) {
      return spansOf(id, aggregate).then((spans) => answer(stored.device, aggregate, spans, ifNoneMatch));
    }
    return answer(stored.device, aggregate, [], ifNoneMatch);
  };
}

/** no-cache: a browser keeps the body but asks again each time (If-None-Match), so a poll costs a 304 when nothing changed. */
export const FOOTPRINT_CACHE_CONTROL = 'no-cache';

export function deviceFootprintRouter(respond: FootprintResponder): Router {
  const router = Router();
  router.get(FOOTPRINT_ROUTE, async (req, res) => {
    const answer = await respond(deviceIdParam(req), req.headers['if-none-match']);
    res.set({ etag: answer.etag, 'cache-control': FOOTPRINT_CACHE_CONTROL });
    if (answer.body === null) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(answer.body.body);
  });
  return router;
}
