import { Router } from 'express';
import { z } from 'zod';
import { DEVICE_ID_PATTERN, MAX_PAGE_SIZE } from '../../config/defaults.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { fleetSummary, type FleetSummary } from '../../service/fleet-summary.js';
import type { Store } from '../../store/store.js';
import { validate } from '../validate.js';

const fleetQuerySchema = z.object({ fleet: z.string().regex(DEVICE_ID_PATTERN).optional(), rows: z.enum(['true', 'false']).optional() }).strict();

/** Lifetime footprint of every device and the fleet's totals; recomputed at most once per `cacheTtlMs`. */
export function fleetRouter(store: Store, catalogue: Catalogue, clock: () => number, onlineThresholdMs: number, cacheTtlMs: number): Router {
  const router = Router();
  const cache = new Map<string, { atMs: number; summary: FleetSummary }>();
  router.get('/fleet', async (req, res) => {
    const query = validate(fleetQuerySchema, req.query, 'query');
    const key = query.fleet ?? '*';
    const nowMs = clock();
    let entry = cache.get(key);
    if (entry === undefined || nowMs - entry.atMs > cacheTtlMs) {
      const devices = await store.listDevicesWithAggregates({ limit: MAX_PAGE_SIZE, offset: 0, ...(query.fleet === undefined ? {} : { fleet: query.fleet }) });
      entry = { atMs: nowMs, summary: fleetSummary(catalogue, devices, nowMs, onlineThresholdMs) };
      cache.set(key, entry);
    }
    const { rows, ...totals } = entry.summary;
    res.json(query.rows === 'false' ? { ...totals, computedAtMs: entry.atMs } : { ...totals, computedAtMs: entry.atMs, rows });
  });
  return router;
}
