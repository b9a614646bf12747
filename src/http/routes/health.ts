import { Router } from 'express';
import type { IngestCounters } from '../../ingest/ingest-service.js';
import type { LiveBus } from '../../live/live-bus.js';
import type { HealthRegistry } from '../../obs/health-registry.js';
import type { Store } from '../../store/store.js';

export interface HealthDeps {
  store: Store;
  health: HealthRegistry;
  /** Read at every request (the counters are a snapshot). */
  ingest: { readonly counters: IngestCounters };
  bus: LiveBus;
  clock: () => number;
  startedAtMs: number;
  version: string;
}

/** Liveness plus every source's status and counters (rejected inputs by reason, drops, reconnects). */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    let storeState: { kind: string; ok: boolean; devices: number | null; error: string | null };
    try {
      storeState = { kind: deps.store.kind, ok: true, devices: await deps.store.countDevices(), error: null };
    } catch (error) {
      storeState = { kind: deps.store.kind, ok: false, devices: null, error: error instanceof Error ? error.message : String(error) };
    }
    res.status(storeState.ok ? 200 : 503).json({
      status: storeState.ok ? 'ok' : 'degraded',
      version: deps.version,
      uptimeS: (deps.clock() - deps.startedAtMs) / 1000,
      store: storeState,
      ingest: deps.ingest.counters,
      live: { listeners: deps.bus.listenerCount, listenerErrors: deps.bus.listenerErrors },
      sources: deps.health.snapshot(),
    });
  });
  return router;
}
