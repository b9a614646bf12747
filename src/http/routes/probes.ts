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

export function probesRouter(deps: ProbeDeps): Router {
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const readiness = deps.readiness();
    const ready = isReady(readiness);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', ...readiness });
  });
  router.get('/metrics', async (_req, res) => {
    const text = await deps.metrics.scrape();
    res.type(deps.metrics.contentType).send(text);
  });
  return router;
}
