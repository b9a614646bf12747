import { Router } from 'express';
import type { FleetIndex } from '../../service/fleet-index.js';
import { fleetOverview } from '../../service/fleet-overview.js';
import { fleetOverviewQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';

/**
 * GET /api/fleet/overview: online / stale / offline counts, the power distribution, the groups by fleet, online over time.
 * O(groups) from the index's running sums once the index is current (every open dashboard polls it every second).
 */
export function fleetOverviewRouter(index: FleetIndex, clock: () => number): Router {
  const router = Router();
  router.get('/fleet/overview', async (req, res) => {
    const query = validate(fleetOverviewQuerySchema, req.query, 'query');
    await index.current();
    res.type('application/json').send(JSON.stringify(fleetOverview(index, clock(), query.fleet)));
  });
  return router;
}
