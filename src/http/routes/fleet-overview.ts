import { Router } from 'express';
import type { FleetIndex } from '../../service/fleet-index.js';
import { fleetOverview } from '../../service/fleet-overview.js';
import { fleetOverviewQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';

/**
 * GET /api/fleet/overview: online / stale / offline counts, the power distribution, the groups by fleet, online over time.
 * Requests for the same fleet that arrive while its pass runs (every open dashboard polls it) share that pass and its
 * serialisation: at 100 000 devices a pass is tens of ms of CPU, spread over several turns of the event loop.
 */
export function fleetOverviewRouter(index: FleetIndex, clock: () => number): Router {
  const router = Router();
  const running = new Map<string, Promise<string>>();
  router.get('/fleet/overview', async (req, res) => {
    const query = validate(fleetOverviewQuerySchema, req.query, 'query');
    await index.current();
    const key = query.fleet ?? '';
    let body = running.get(key);
    if (body === undefined) {
      body = fleetOverview(index, clock(), query.fleet).then((overview) => JSON.stringify(overview));
      running.set(key, body);
      const forget = (): void => void running.delete(key);
      body.then(forget, forget);
    }
    res.type('application/json').send(await body);
  });
  return router;
}
