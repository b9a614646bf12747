import { Router } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { MAX_INFERENCE_SPANS_FOR_MEDIAN } from '../../service/device-footprint.js';
import { FootprintCache, matchesEtag } from '../../service/footprint-cache.js';
import type { PresenceRegistry } from '../../live/device-presence.js';
import type { Store } from '../../store/store.js';
import { deviceIdParam } from './device-params.js';

/**
 * The live lifetime footprint of one device: the hot path of dashboards and API clients. Served from a ready
 * serialisation (FootprintCache) with an ETag; a client that sends it back in If-None-Match gets 304 while nothing changed.
 */
export function deviceFootprintRouter(store: Store, catalogue: Catalogue, clock: () => number, onlineThresholdMs: number, presence: PresenceRegistry): Router {
  const router = Router();
  const cache = new FootprintCache(catalogue);
  router.get('/devices/:id/footprint', async (req, res) => {
    const id = deviceIdParam(req);
    const [device, aggregate] = await Promise.all([store.getDevice(id), store.getAggregate(id)]);
    if (device === undefined) throw new NotFoundError(`device "${id}" is not registered`);
    // Only a device with marker-bounded windows pays for reading them (the partial index keeps it a short range).
    const spans = aggregate !== undefined && aggregate.inferenceSpanWindows > 0 ? await store.listInferenceSpans(id, MAX_INFERENCE_SPANS_FOR_MEDIAN) : [];
    const served = cache.serve(device, aggregate, clock(), onlineThresholdMs, presence.get(device.id), spans);
    // no-cache: a browser keeps the body but asks again each time (If-None-Match), so a poll costs a 304 when nothing changed.
    res.set({ etag: served.etag, 'cache-control': 'no-cache' });
    if (matchesEtag(req.headers['if-none-match'], served.etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(served.body);
  });

  return router;
}
