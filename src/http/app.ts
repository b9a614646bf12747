import type { RequestListener } from 'node:http';
import express, { type Express, type RequestHandler, type Router } from 'express';
import { MAX_BODY_BYTES } from './limits.js';
import type { DeviceSpec } from '../domain/types.js';
import type { IngestService } from '../ingest/ingest-service.js';
import type { LiveBus } from '../live/live-bus.js';
import type { Catalogue } from '../model/catalogue-types.js';
import type { HealthRegistry } from '../obs/health-registry.js';
import type { Logger } from '../obs/logger.js';
import type { PrometheusExporter } from '../obs/prometheus.js';
import type { PresenceRegistry } from '../live/device-presence.js';
import type { FleetIndex } from '../service/fleet-index.js';
import type { Store } from '../store/store.js';
import { accessLog, markRouterBase, type ObserveRequest } from './access-log.js';
import { withFastPath } from './fast-path.js';
import { footprintResponder } from './routes/device-footprint.js';
import { bearerCheck, requireBearer } from './auth.js';
import { withIngestFastPath } from './ingest-fast-path.js';
import { isProbe, withTurnBudget } from './turn-budget.js';
import { IMPORT_ROUTE } from './routes/device-import.js';
import { HttpStats } from './http-stats.js';
import { openApiDocument } from './openapi.js';
import { HttpError, notFoundHandler, problemMiddleware } from './problem.js';
import { calculatorRouter } from './routes/calculator.js';
import { catalogueRouter } from './routes/catalogue.js';
import { devicesRouter } from './routes/devices.js';
import { fleetRouter } from './routes/fleet.js';
import { fleetOverviewRouter } from './routes/fleet-overview.js';
import { healthAnswer, healthRouter, type HealthDeps } from './routes/health.js';
import { probesRouter, type Readiness } from './routes/probes.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Writes under /api that need no token: the stateless calculator stores nothing. Paths relative to /api. */
const OPEN_WRITES = new Set(['POST /calculate']);

/**
 * Every other write under /api needs the bearer token, checked before the body is read or parsed: an unauthenticated
 * client gets 401 whatever it sends, and never costs a 512 KiB JSON parse. The routes keep their own check too.
 */
function authenticateWrites(requireToken: RequestHandler): RequestHandler {
  return (req, res, next) => {
    // Express routes ignore case and a trailing slash; so does this check, or `/Calculate/` would differ from `/calculate`.
    const path = req.path.toLowerCase().replace(/\/+$/, '');
    if (!WRITE_METHODS.has(req.method) || OPEN_WRITES.has(`${req.method} ${path}`)) {
      next();
      return;
    }
    requireToken(req, res, next);
  };
}

/** A write with a body that is not JSON (curl's default form type, text) is refused, never read as empty. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && req.is(JSON_TYPES) === false) {
    next(new HttpError(415, 'unsupported-media-type', `the body must be application/json, got ${req.headers['content-type'] ?? 'no content type'}`));
    return;
  }
  next();
};

export interface AppDeps {
  store: Store;
  catalogue: Catalogue;
  ingest: IngestService;
  bus: LiveBus;
  health: HealthRegistry;
  presence: PresenceRegistry;
  apiToken: string;
  defaults: DeviceSpec;
  clock: () => number;
  log: Logger;
  onlineThresholdMs: number;
  /** Every device's fleet row and the totals, kept current from the live bus (GET /api/fleet). */
  fleetIndex: FleetIndex;
  version: string;
  /** /readyz: the store, the layers, a shutdown under way. */
  readiness: () => Readiness;
  /** /metrics, and where request durations are observed. */
  metrics: PrometheusExporter;
  /** Extra routers mounted under /api (live events) and at / (the dashboard), added by later layers. */
  apiRouters?: readonly Router[];
  rootHandlers?: readonly RequestHandler[];
}

/**
 * The Express app, without listening, and the server's request listener: the hot GETs (probes, a device's footprint)
 * and plain window posts answered ahead of the app (fast-path.ts, ingest-fast-path.ts), every other request through it.
 */
export function createApp(deps: AppDeps): { app: Express; handler: RequestListener; stats: HttpStats } {
  const stats = new HttpStats();
  const observe: ObserveRequest = (method, route, status, seconds) => deps.metrics.observeHttp(method, route, status, seconds);
  const footprint = footprintResponder(deps.store, deps.catalogue, deps.clock, deps.onlineThresholdMs, deps.presence, (id) => deps.fleetIndex.storedNow(id));
  deps.health.register('http', stats);
  const healthDeps: HealthDeps = {
    store: deps.store,
    health: deps.health,
    ingest: deps.ingest,
    bus: deps.bus,
    clock: deps.clock,
    startedAtMs: deps.clock(),
    version: deps.version,
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, _res, next) => {
    stats.countRequest();
    next();
  });
  app.use(accessLog(deps.log, observe));
  // Before the body parser and every /api route: probes answer without the store, whatever the rest is doing.
  app.use(probesRouter({ readiness: deps.readiness, metrics: deps.metrics }));
  const requireToken = requireBearer(deps.apiToken);
  app.use('/api', authenticateWrites(requireToken));
  // The import route parses its own, larger body (after its token check); every other body is bounded here.
  const boundedJson = express.json({ limit: MAX_BODY_BYTES, type: JSON_TYPES });
  app.use((req, res, next) => (req.method === 'POST' && IMPORT_ROUTE.test(req.path) ? next() : boundedJson(req, res, next)));
  app.use(requireJsonBody);

  const api = express.Router();
  api.use(markRouterBase);
  api.use(
    devicesRouter({
      store: deps.store,
      catalogue: deps.catalogue,
      sink: deps.ingest,
      stats,
      defaults: deps.defaults,
      requireToken,
      publishDeviceChange: (deviceId) => deps.bus.publish({ type: 'device', deviceId }),
      clock: deps.clock,
      onlineThresholdMs: deps.onlineThresholdMs,
      presence: deps.presence,
      footprint,
    }),
  );
  // The device routes come first: they carry the hot path (live footprints), and Express tries routers in order.
  api.use(healthRouter(healthDeps));
  api.use(catalogueRouter(deps.catalogue));
  api.use(calculatorRouter(deps.catalogue, deps.defaults));
  api.use(fleetRouter(deps.fleetIndex, deps.catalogue, deps.clock));
  api.use(fleetOverviewRouter(deps.fleetIndex, deps.clock));
  const openapi = openApiDocument(deps.version);
  api.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  for (const router of deps.apiRouters ?? []) api.use(router);
  api.use(notFoundHandler);
  app.use('/api', api);
  for (const handler of deps.rootHandlers ?? []) app.use(handler);
  app.use(notFoundHandler);
  app.use(problemMiddleware(stats, deps.log));
  const reads = withFastPath(app, {
    stats,
    log: deps.log,
    observe,
    readiness: deps.readiness,
    footprint,
    fleetIndex: deps.fleetIndex,
    clock: deps.clock,
    health: () => healthAnswer(healthDeps),
  });
  // Plain window posts ahead of both (ingest-fast-path.ts): one method test for every other request.
  const ingestAndReads = withIngestFastPath(reads, {
    store: deps.store,
    sink: deps.ingest,
    stats,
    // A device the fleet index holds is registered (none is ever deleted): no store read per window post.
    knownRegistered: (deviceId) => deps.fleetIndex.get(deviceId) !== undefined,
    log: deps.log,
    observe,
    checkBearer: bearerCheck(deps.apiToken),
    jsonBodyParser: boundedJson,
  });
  // Every request, once its turn's budget is spent, waits for a later event-loop turn (turn-budget.ts); probes never wait.
  const handler = withTurnBudget(ingestAndReads, {
    immediate: isProbe,
    onDeferred: () => stats.countDeferredRequest(),
    onAbandoned: () => stats.countAbandonedRequest(),
  });
  return { app, handler, stats };
}
