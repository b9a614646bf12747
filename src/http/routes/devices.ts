import { Router, type RequestHandler } from 'express';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../limits.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { DeviceSpec } from '../../domain/types.js';
import type { WindowSink } from '../../ingest/window-sink.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { assertSpecResolves, deviceStatus } from '../../service/device-footprint.js';
import type { PresenceRegistry } from '../../live/device-presence.js';
import { specFrom, specPatch } from '../../service/spec.js';
import type { Store } from '../../store/store.js';
import type { HttpStats } from '../http-stats.js';
import { createDeviceSchema, createDevicesQuerySchema, createDevicesSchema, listQuerySchema, patchDeviceSchema } from '../schemas.js';
import { validate } from '../validate.js';
import { deviceFootprintRouter, type FootprintResponder } from './device-footprint.js';
import { deviceIdParam } from './device-params.js';
import { deviceImportRouter } from './device-import.js';
import { deviceWindowsRouter } from './device-windows.js';

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
  presence: PresenceRegistry;
  /** GET /api/devices/:id/footprint (shared with the fast path ahead of Express). */
  footprint: FootprintResponder;
}

/** Device registry, HTTP ingest of energy windows, and each device's live footprint (one router of three). */
export function devicesRouter(deps: DevicesRouterDeps): Router {
  const { store, catalogue, requireToken } = deps;
  const router = Router();
  // The footprint route first: it is the hot path, and Express tries routes in order.
  router.use(deviceFootprintRouter(deps.footprint));
  router.use(deviceWindowsRouter({ store, sink: deps.sink, stats: deps.stats, requireToken, clock: deps.clock }));
  router.use(deviceImportRouter({ store, sink: deps.sink, stats: deps.stats, requireToken, clock: deps.clock }));

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
    const query = validate(createDevicesQuerySchema, req.query, 'query');
    if (Array.isArray(req.body)) {
      // Bulk registration (a fleet manifest): one transaction; 201 with the count, and the ids that existed (skip).
      const items = validate(createDevicesSchema, req.body, 'devices');
      const resolved = new Set<string>(); // most devices of a manifest share a few specs: check each spec once
      const inputs = items.map((item) => {
        const spec = specFrom(item, deps.defaults);
        const key = JSON.stringify(spec);
        if (!resolved.has(key)) {
          assertSpecResolves(catalogue, spec);
          resolved.add(key);
        }
        return { id: item.id, ...(item.name === undefined ? {} : { name: item.name }), fleet: item.fleet ?? null, deployedAt: item.deployedAt ?? null, spec };
      });
      const result = await store.createDevices(inputs, { onExisting: query.existing ?? 'fail' });
      const existing = new Set(result.existing);
      for (const input of inputs) if (!existing.has(input.id)) deps.publishDeviceChange(input.id);
      res.status(201).json(result);
      return;
    }
    const body = validate(createDeviceSchema, req.body ?? {}, 'device');
    const spec = specFrom(body, deps.defaults);
    assertSpecResolves(catalogue, spec);
    const device = await store.createDevice({
      id: body.id,
      ...(body.name === undefined ? {} : { name: body.name }),
      fleet: body.fleet ?? null,
      deployedAt: body.deployedAt ?? null,
      spec,
    });
    deps.publishDeviceChange(device.id);
    res
      .status(201)
      .location(`/api/devices/${encodeURIComponent(device.id)}`)
      .json(device);
  });

  router.get('/devices/:id', async (req, res) => {
    const device = await store.getDevice(deviceIdParam(req));
    if (device === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    const aggregate = await store.getAggregate(device.id);
    res.json({ ...device, aggregate: aggregate ?? null, status: deviceStatus(aggregate, deps.clock(), deps.onlineThresholdMs, deps.presence.get(device.id)) });
  });

  router.patch('/devices/:id', requireToken, async (req, res) => {
    const body = validate(patchDeviceSchema, req.body ?? {}, 'device patch');
    if (Object.keys(body).length === 0) throw new ValidationError('nothing to update: give at least one field (name, fleet, deployedAt, system, grid, …)');
    const existing = await store.getDevice(deviceIdParam(req));
    if (existing === undefined) throw new NotFoundError(`device "${deviceIdParam(req)}" is not registered`);
    const patch = specPatch(body);
    assertSpecResolves(catalogue, { ...existing.spec, ...patch });
    const device = await store.updateDevice(deviceIdParam(req), {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.fleet === undefined ? {} : { fleet: body.fleet }),
      ...(body.deployedAt === undefined ? {} : { deployedAt: body.deployedAt }),
      spec: patch,
    });
    deps.publishDeviceChange(device.id);
    res.json(device);
  });

  return router;
}
