import { Router } from 'express';
import { DEFAULT_FLEET_PAGE_ROWS, MAX_FLEET_CACHE_ENTRIES } from '../limits.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import type { FleetIndex } from '../../service/fleet-index.js';
import { fleetPage, type FleetPage, type FleetPageQuery } from '../../service/fleet-page.js';
import { fleetQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';

interface SharedPage {
  /** FleetIndex.version it was computed at: any change to any row makes it stale. */
  version: number;
  atMs: number;
  page: Promise<FleetPage>;
}

/**
 * GET /api/fleet: the fleet totals from the index (O(1)) and, unless `rows=false`, one page of rows filtered and sorted
 * on the server. Concurrent requests for the same page at the same index version share one computation.
 */
export function fleetRouter(index: FleetIndex, catalogue: Catalogue, clock: () => number): Router {
  const router = Router();
  const pages = new Map<string, SharedPage>();

  router.get('/fleet', async (req, res) => {
    const query = validate(fleetQuerySchema, req.query, 'query');
    await index.current();
    const totals = index.totals(query.fleet);
    const meta = { computedAtMs: clock(), registeredDevices: totals.devices };
    if (query.rows === 'false') {
      res.json({ ...totals, ...meta, truncated: false });
      return;
    }
    const pageQuery: FleetPageQuery = {
      ...(query.fleet === undefined ? {} : { fleet: query.fleet }),
      ...(query.q === undefined ? {} : { text: query.q }),
      status: query.status ?? 'all',
      sort: query.sort ?? 'id',
      direction: query.dir === 'desc' ? -1 : 1,
      offset: query.offset ?? 0,
      limit: query.limit ?? DEFAULT_FLEET_PAGE_ROWS,
    };
    const key = JSON.stringify(pageQuery);
    let shared = pages.get(key);
    if (shared === undefined || shared.version !== index.version) {
      const atMs = clock();
      shared = { version: index.version, atMs, page: fleetPage(index, pageQuery, atMs, catalogue.assumptions.assumedPowerW) };
      pages.delete(key);
      while (pages.size >= MAX_FLEET_CACHE_ENTRIES) pages.delete(pages.keys().next().value!);
      pages.set(key, shared);
      shared.page.catch(() => pages.delete(key));
    }
    const page = await shared.page;
    res.json({
      ...totals,
      ...meta,
      computedAtMs: shared.atMs,
      // The rows are one page of what matched: more exist before or after it.
      truncated: pageQuery.offset > 0 || pageQuery.offset + page.rows.length < page.matched,
      matched: page.matched,
      offset: pageQuery.offset,
      rows: page.rows,
    });
  });
  return router;
}
