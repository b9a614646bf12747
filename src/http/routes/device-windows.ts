import { Router, type RequestHandler } from 'express';
import { DEFAULT_WINDOWS_LISTED } from '../limits.js';
import { NotFoundError } from '../../domain/errors.js';
import type { EnergyWindow } from '../../domain/types.js';
import type { WindowSink } from '../../ingest/window-sink.js';
import type { Store } from '../../store/store.js';
import type { HttpStats } from '../http-stats.js';
import { windowBatchSchema, windowSchema, windowsQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';
import { deviceIdParam } from './device-params.js';

export interface DeviceWindowsDeps {
  store: Store;
  sink: WindowSink;
  stats: HttpStats;
  requireToken: RequestHandler;
}

/** HTTP ingest of energy windows (idempotent by seq) and the most recent windows of a device. */
export function deviceWindowsRouter(deps: DeviceWindowsDeps): Router {
  const { store, requireToken } = deps;
  const router = Router();

  router.post('/devices/:id/windows', requireToken, async (req, res) => {
    const raw: unknown = req.body ?? {};
    const isBatch = typeof raw === 'object' && raw !== null && 'windows' in raw;
    const body = isBatch ? validate(windowBatchSchema, raw, 'energy windows') : { windows: [validate(windowSchema, raw, 'energy window')] };
    const deviceId = deviceIdParam(req);
    if ((await store.getDevice(deviceId)) === undefined) throw new NotFoundError(`device "${deviceId}" is not registered`);
    const windows: EnergyWindow[] = body.windows.map((item) => ({
      deviceId,
      seq: item.seq,
      startMs: item.startMs,
      durationS: item.durationS,
      energyJ: item.energyJ,
      sampleCount: item.sampleCount ?? 0,
      minPowerW: item.minPowerW ?? null,
      maxPowerW: item.maxPowerW ?? null,
      inferenceCount: item.inferenceCount ?? 0,
      source: 'http',
      startStampedBy: 'device', // startMs is required: the client's own clock
    }));
    // The sink checks the window rules (as for every source): an implausible window refuses the whole request (400
    // naming it, with its reason), and so does an overlapping one (400, one line per window): nothing is stored.
    const result = await deps.sink.submitWindows(windows, { onRefusal: 'refuse-batch' });
    deps.stats.countWindows(result.inserted, result.duplicates);
    res.status(result.inserted > 0 ? 201 : 200).json(result);
  });

  router.get('/devices/:id/windows', async (req, res) => {
    const query = validate(windowsQuerySchema, req.query, 'query');
    if ((await store.getDevice(deviceIdParam(req))) === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    res.json({ windows: await store.listWindows(deviceIdParam(req), query.limit ?? DEFAULT_WINDOWS_LISTED) });
  });

  return router;
}
