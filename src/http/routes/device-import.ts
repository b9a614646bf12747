import express, { Router, type RequestHandler } from 'express';
import { NotFoundError } from '../../domain/errors.js';
import { importFiles } from '../../ingest/import/import-run.js';
import type { WindowSink } from '../../ingest/window-sink.js';
import type { Store } from '../../store/store.js';
import type { HttpStats } from '../http-stats.js';
import { MAX_IMPORT_BODY_BYTES } from '../limits.js';
import { importBodySchema } from '../schemas.js';
import { validate } from '../validate.js';
import { deviceIdParam } from './device-params.js';

/** The one route whose body may exceed MAX_BODY_BYTES: the app's JSON parser leaves it to this router. */
export const IMPORT_ROUTE = /^\/api\/devices\/[^/]+\/import\/?$/i;

export interface DeviceImportDeps {
  store: Store;
  sink: WindowSink;
  stats: HttpStats;
  requireToken: RequestHandler;
  clock: () => number;
}

/**
 * POST /api/devices/:id/import: what `tinyml-footprint import` does, for a registered device. JSON with the files
 * base64 (an EnergyRunner session is several files); all of it stored or none (a truncated file is a 400).
 */
export function deviceImportRouter(deps: DeviceImportDeps): Router {
  const router = Router();
  router.post('/devices/:id/import', deps.requireToken, express.json({ limit: MAX_IMPORT_BODY_BYTES }), async (req, res) => {
    const body = validate(importBodySchema, req.body ?? {}, 'import');
    const deviceId = deviceIdParam(req);
    if ((await deps.store.getDevice(deviceId)) === undefined) throw new NotFoundError(`device "${deviceId}" is not registered`);
    const files = body.files.map((file) => ({ name: file.name, bytes: new Uint8Array(Buffer.from(file.contentBase64, 'base64')) }));
    const { summary } = await importFiles(
      deps.sink,
      {
        deviceId,
        files,
        ...(body.voltageV === undefined ? {} : { voltageV: body.voltageV }),
        ...(body.startMs === undefined ? {} : { startMs: body.startMs }),
        ...(body.folderName === undefined ? {} : { folderName: body.folderName }),
      },
      deps.clock(),
    );
    deps.stats.countWindows(summary.inserted, summary.duplicates);
    res.status(summary.inserted > 0 ? 201 : 200).json(summary);
  });
  return router;
}
