/**
 * The operator's probes, answered before any other middleware and without touching the store: /livez (the process
 * answers), /readyz (the store is open, every layer started, no shutdown under way) and /metrics (Prometheus).
 * A probe on /api/health would queue behind the store and the fleet computation, and restart a healthy service.
 */
import { Router } from 'express';
import type { PrometheusExporter } from '../../obs/prometheus.js';

export type LayerState = 'starting' | 'started' | 'stopping' | 'stopped';

/** What readiness is made of, read at each /readyz. */
export interface Readiness {
  store: 'open' | 'closed';
  /** A shutdown began: load balancers must stop sending new requests (the in-flight ones are still answered). */
  draining: boolean;
  /** Each layer by name (mqtt, serial, dashboard): ready once every one is started. */
  layers: Readonly<Record<string, LayerState>>;
}

export interface ProbeDeps {
  readiness: () => Readiness;
  metrics: PrometheusExporter;
}

export function isReady(readiness: Readiness): boolean {
  return readiness.store === 'open' && !readiness.draining && Object.values(readiness.layers).every((state) => state === 'started');
}

/** The body of every /livez answer. */
export const LIVEZ_BODY = JSON.stringify({ status: 'ok' });

/** The body of /readyz (200 when ready, else 503). */
export function readyzBody(readiness: Readiness): string {
  return JSON.stringify({ status: isReady(readiness) ? 'ready' : 'not-ready', ...readiness });
}

/** The probes' paths: answered ahead of Express (fast-path.ts), never kept waiting (turn-budget.ts), logged at debug (access-log.ts). */
export const LIVEZ_PATH = '/livez';
export const READYZ_PATH = '/readyz';

/** The probes through Express (a form the fast path leaves to Express: HEAD, a trailing slash); fast-path.ts answers the usual GETs. */
export function probesRouter(deps: ProbeDeps): Router {
  const router = Router();
  router.get(LIVEZ_PATH, (_req, res) => {
    res.type('application/json').send(LIVEZ_BODY);
  });
  router.get(READYZ_PATH, (_req, res) => {
    const readiness = deps.readiness();
    res
      .status(isReady(readiness) ? 200 : 503)
      .type('application/json')
      .send(readyzBody(readiness));
  });
  router.get('/metrics', async (_req, res) => {
    const text = await deps.metrics.scrape();
    res.type(deps.metrics.contentType).send(text);
  });
  return router;
}
