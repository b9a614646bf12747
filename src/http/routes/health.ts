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

/** GET /api/health's answer: 200 when the store answers, else 503 with the same shape (healthSchema). */
export interface HealthAnswer {
  status: 200 | 503;
  /** The JSON body, as res.json writes it. */
  body: string;
}

/** Liveness plus every source's status and counters (rejected inputs by reason, drops, reconnects). */
export async function healthAnswer(deps: HealthDeps): Promise<HealthAnswer> {
  let storeState: { kind: string; ok: boolean; devices: number | null; error: string | null };
  try {
    storeState = { kind: deps.store.kind, ok: true, devices: await deps.store.countDevices(), error: null };
  } catch (error) {
    storeState = { kind: deps.store.kind, ok: false, devices: null, error: error instanceof Error ? error.message : String(error) };
  }
  return {
    status: storeState.ok ? 200 : 503,
    body: JSON.stringify({
      status: storeState.ok ? 'ok' : 'degraded',
      version: deps.version,
      uptimeS: (deps.clock() - deps.startedAtMs) / 1000,
      store: storeState,
      ingest: deps.ingest.counters,
      live: { listeners: deps.bus.listenerCount, listenerErrors: deps.bus.listenerErrors },
      sources: deps.health.snapshot(),
    }),
  };
}

/** The route through Express (HEAD, a trailing slash); fast-path.ts answers the plain GET with the same healthAnswer. */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const answer = await healthAnswer(deps);
    res.status(answer.status).type('application/json').send(answer.body);
  });
  return router;
}
