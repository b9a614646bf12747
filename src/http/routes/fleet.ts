import { Router } from 'express';
import { MAX_FLEET_CACHE_ENTRIES, MAX_PAGE_SIZE } from '../limits.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import type { PresenceRegistry } from '../../live/device-presence.js';
import { fleetSummary, type FleetSummary } from '../../service/fleet-summary.js';
import type { Store } from '../../store/store.js';
import { fleetQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';

interface CachedSummary {
  atMs: number;
  summary: FleetSummary;
  registeredDevices: number;
  /** PresenceRegistry.version it was computed at: a device going offline is shown at once, not after the TTL. */
  presenceVersion: number;
}

/** Lifetime footprint of every device and the fleet's totals; recomputed at most once per `cacheTtlMs` per fleet. */
export function fleetRouter(
  store: Store,
  catalogue: Catalogue,
  clock: () => number,
  onlineThresholdMs: number,
  cacheTtlMs: number,
  presence: PresenceRegistry,
): Router {
  const router = Router();
  // Keyed by the fleet filter, which any client chooses: expired entries are evicted and the size is capped.
  const cache = new Map<string, CachedSummary>();
  const evict = (nowMs: number): void => {
    for (const [key, entry] of cache) if (nowMs - entry.atMs > cacheTtlMs) cache.delete(key);
    while (cache.size >= MAX_FLEET_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  };

  router.get('/fleet', async (req, res) => {
    const query = validate(fleetQuerySchema, req.query, 'query');
    const key = query.fleet ?? '*';
    const nowMs = clock();
    let entry = cache.get(key);
    if (entry === undefined || nowMs - entry.atMs > cacheTtlMs || entry.presenceVersion !== presence.version) {
      const filter = query.fleet === undefined ? {} : { fleet: query.fleet };
      const [devices, registeredDevices] = await Promise.all([
        store.listDevicesWithAggregates({ limit: MAX_PAGE_SIZE, offset: 0, ...filter }),
        store.countDevices(query.fleet),
      ]);
      evict(nowMs);
      entry = {
        atMs: nowMs,
        summary: fleetSummary(catalogue, devices, nowMs, onlineThresholdMs, (id) => presence.get(id)),
        registeredDevices,
        presenceVersion: presence.version,
      };
      cache.set(key, entry);
    }
    const { rows, ...totals } = entry.summary;
    const meta = {
      computedAtMs: entry.atMs,
      registeredDevices: entry.registeredDevices,
      // Totals cover the first MAX_PAGE_SIZE devices (by id) when a fleet is larger: said, not hidden.
      truncated: entry.registeredDevices > totals.devices,
    };
    res.json(query.rows === 'false' ? { ...totals, ...meta } : { ...totals, ...meta, rows });
  });
  return router;
}
