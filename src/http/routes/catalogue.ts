import { Router } from 'express';
import { DEFAULT_GRID, listGridZones, resolveGrid } from '../../catalogue/grid.js';
import type { Catalogue } from '../../model/catalogue-types.js';

/** Systems, blocks and levels, training presets, grids and reference devices, each with its source. */
export function catalogueRouter(catalogue: Catalogue): Router {
  const router = Router();
  const grids = listGridZones();
  const summary = {
    sources: catalogue.sources,
    systems: catalogue.systems,
    blocks: catalogue.blocks,
    training: catalogue.training,
    referenceDevices: catalogue.referenceDevices,
    assumptions: catalogue.assumptions,
    grids: { default: resolveGrid(DEFAULT_GRID), count: grids.length, list: '/api/catalogue/grids' },
  };
  router.get('/catalogue', (_req, res) => {
    res.json(summary);
  });
  router.get('/catalogue/grids', (_req, res) => {
    res.json({ grids });
  });
  return router;
}
