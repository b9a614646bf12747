import { Router, type Request, type RequestHandler } from 'express';
import { DEFAULT_PAGE_SIZE, DEFAULT_WINDOWS_LISTED, MAX_PAGE_SIZE, MAX_WINDOWS_LISTED } from '../../config/defaults.js';
import { implausibility } from '../../domain/window-plausibility.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { DeviceSpec, EnergyWindow } from '../../domain/types.js';
import type { WindowSink } from '../../ingest/window-sink.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { computeFootprint } from '../../model/footprint.js';
import { deviceFootprint, footprintInputFromSpec, powerFromAggregate } from '../../service/device-footprint.js';
import { specFrom, specPatch } from '../../service/spec.js';
import type { Store } from '../../store/store.js';
import type { HttpStats } from '../http-stats.js';
import { createDeviceSchema, listQuerySchema, patchDeviceSchema, windowBatchSchema, windowSchema } from '../schemas.js';
import { validate } from '../validate.js';
import { z } from 'zod';

export interface DevicesRouterDeps {
  store: Store;
  catalogue: Catalogue;
  sink: WindowSink;
  stats: HttpStats;
  defaults: DeviceSpec;
  requireToken: RequestHandler;
  /** Device registrations and updates are announced live so open dashboards show them at once. */
  publishDeviceChange: (deviceId: string) => void;
  clock: () => number;
  onlineThresholdMs: number;
}

function deviceIdParam(req: Request): string {
  const value: unknown = req.params['id'];
  if (typeof value !== 'string') throw new ValidationError('missing device id in the path');
  return value;
}

const windowsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(MAX_WINDOWS_LISTED).optional() }).strict();

/** Device registry, HTTP ingest of energy windows, and each device's live footprint. */
export function devicesRouter(deps: DevicesRouterDeps): Router {
  const { store, catalogue, requireToken } = deps;
  const router = Router();

  /** A spec must resolve (system, training, grid all known) before it is stored. */
  const checkSpec = (spec: DeviceSpec): void => {
    computeFootprint(catalogue, footprintInputFromSpec(spec, powerFromAggregate(catalogue, undefined)));
  };

  router.get('/devices', async (req, res) => {
    const query = validate(listQuerySchema, req.query, 'query');
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const [devices, total] = await Promise.all([
      store.listDevices({ limit, offset: query.offset ?? 0, ...(query.fleet === undefined ? {} : { fleet: query.fleet }) }),
      store.countDevices(query.fleet),
    ]);
    res.json({ devices, total, limit, offset: query.offset ?? 0 });
  });

  router.post('/devices', requireToken, async (req, res) => {
    const body = validate(createDeviceSchema, req.body ?? {}, 'device');
    const spec = specFrom(body, deps.defaults);
    checkSpec(spec);
    const device = await store.createDevice({
      id: body.id,
      ...(body.name === undefined ? {} : { name: body.name }),
      fleet: body.fleet ?? null,
      deployedAt: body.deployedAt ?? null,
      spec,
    });
    deps.publishDeviceChange(device.id);
    res.status(201).location(`/api/devices/${encodeURIComponent(device.id)}`).json(device);
  });

  router.get('/devices/:id', async (req, res) => {
    const device = await store.getDevice(deviceIdParam(req));
    if (device === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    res.json({ ...device, aggregate: (await store.getAggregate(device.id)) ?? null });
  });

  router.patch('/devices/:id', requireToken, async (req, res) => {
    const body = validate(patchDeviceSchema, req.body ?? {}, 'device patch');
    const existing = await store.getDevice(deviceIdParam(req));
    if (existing === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    const patch = specPatch(body);
    checkSpec({ ...existing.spec, ...patch });
    const device = await store.updateDevice(deviceIdParam(req), {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.fleet === undefined ? {} : { fleet: body.fleet }),
      ...(body.deployedAt === undefined ? {} : { deployedAt: body.deployedAt }),
      spec: patch,
    });
    deps.publishDeviceChange(device.id);
    res.json(device);
  });

  router.post('/devices/:id/windows', requireToken, async (req, res) => {
    const raw: unknown = req.body ?? {};
    const isBatch = typeof raw === 'object' && raw !== null && 'windows' in raw;
    const body = isBatch ? validate(windowBatchSchema, raw, 'energy windows') : { windows: [validate(windowSchema, raw, 'energy window')] };
    const deviceId = deviceIdParam(req);
    if ((await store.getDevice(deviceId)) === undefined) throw new NotFoundError(`device "${deviceId}" is not registered`);
    const nowMs = deps.clock();
    const items = body.windows;
    const windows: EnergyWindow[] = items.map((item, index) => {
      const window: EnergyWindow = {
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
      };
      // The same plausibility rules as every other source (IngestService applies them too), answered as a 400 here.
      const problem = implausibility(window, nowMs);
      if (problem !== null) throw new ValidationError(`windows.${index}: ${problem.detail}`, [`reason: ${problem.reason}`]);
      return window;
    });
    const result = await deps.sink.submitWindows(windows);
    deps.stats.countWindows(result.inserted, result.duplicates);
    res.status(result.inserted > 0 ? 201 : 200).json(result);
  });

  router.get('/devices/:id/windows', async (req, res) => {
    const query = validate(windowsQuerySchema, req.query, 'query');
    if ((await store.getDevice(deviceIdParam(req))) === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    res.json({ windows: await store.listWindows(deviceIdParam(req), query.limit ?? DEFAULT_WINDOWS_LISTED) });
  });

  router.get('/devices/:id/footprint', async (req, res) => {
    const [device, aggregate] = await Promise.all([store.getDevice(deviceIdParam(req)), store.getAggregate(deviceIdParam(req))]);
    if (device === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    res.json(deviceFootprint(catalogue, device, aggregate, deps.clock(), deps.onlineThresholdMs));
  });

  return router;
}
