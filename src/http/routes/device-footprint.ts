import { Router } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { MAX_INFERENCE_SPANS_FOR_MEDIAN } from '../../service/device-footprint.js';
import { FootprintCache, matchesEtag, type ServedFootprint } from '../../service/footprint-cache.js';
import type { PresenceRegistry } from '../../live/device-presence.js';
import type { Store } from '../../store/store.js';
import { deviceIdParam } from './device-params.js';

export const FOOTPRINT_ROUTE = '/devices/:id/footprint';

/** What GET /api/devices/:id/footprint answers: 200 with the body, or 304 when If-None-Match named the current tag. */
export interface FootprintAnswer {
  status: 200 | 304;
  etag: string;
  /** The JSON body in its parts (200 only). */
  body: ServedFootprint | null;
}

/** One device's footprint answer; throws NotFoundError for an unknown device, the model's ValidationError for a spec that no longer resolves. */
export type FootprintResponder = (id: string, ifNoneMatch: string | undefined) => Promise<FootprintAnswer>;

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
): FootprintResponder {
  const cache = new FootprintCache(catalogue);
  return async (id, ifNoneMatch) => {
    const [device, aggregate] = await Promise.all([store.getDevice(id), store.getAggregate(id)]);
    if (device === undefined) throw new NotFoundError(`device "${id}" is not registered`);
    // Only a device with marker-bounded windows pays for reading them (the partial index keeps it a short range).
    const spans = aggregate !== undefined && aggregate.inferenceSpanWindows > 0 ? await store.listInferenceSpans(id, MAX_INFERENCE_SPANS_FOR_MEDIAN) : [];
    const served = cache.serve(device, aggregate, clock(), onlineThresholdMs, presence.get(device.id), spans);
    if (matchesEtag(ifNoneMatch, served.etag)) return { status: 304, etag: served.etag, body: null };
    return { status: 200, etag: served.etag, body: served };
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
