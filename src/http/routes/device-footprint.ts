import { Router } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { deviceFootprint, MAX_INFERENCE_SPANS_FOR_MEDIAN } from '../../service/device-footprint.js';
import type { PresenceRegistry } from '../../live/device-presence.js';
import type { Store } from '../../store/store.js';
import { deviceIdParam } from './device-params.js';

/** The live lifetime footprint of one device: the hot path of dashboards and API clients. */
export function deviceFootprintRouter(store: Store, catalogue: Catalogue, clock: () => number, onlineThresholdMs: number, presence: PresenceRegistry): Router {
  const router = Router();
  router.get('/devices/:id/footprint', async (req, res) => {
    const [device, aggregate] = await Promise.all([store.getDevice(deviceIdParam(req)), store.getAggregate(deviceIdParam(req))]);
    if (device === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    // Only a device with marker-bounded windows pays for reading them (the partial index keeps it a short range).
    const spans =
      aggregate !== undefined && aggregate.inferenceSpanWindows > 0 ? await store.listInferenceSpans(device.id, MAX_INFERENCE_SPANS_FOR_MEDIAN) : [];
    res.json(deviceFootprint(catalogue, device, aggregate, clock(), onlineThresholdMs, presence.get(device.id), spans));
  });

  return router;
}
