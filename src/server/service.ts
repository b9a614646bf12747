import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../http/app.js';
import { createHttpServer, HTTP_SERVER_LIMITS, type HttpServerLimits } from '../http/server.js';
import { ConfigError } from '../domain/errors.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { FleetIndex, type FleetSyncChanges } from '../service/fleet-index.js';
import { errorFields, type Logger } from '../obs/logger.js';
import { LogHealth } from '../obs/log-stats.js';
import { pinoLogger } from '../obs/pino-logger.js';
import { PrometheusExporter, type CounterReading } from '../obs/prometheus.js';
import { timeMethods } from '../obs/timed-methods.js';
import type { IngestService } from '../ingest/ingest-service.js';
import { ConnectionTracker } from '../http/graceful-close.js';
import type { LayerState, Readiness } from '../http/routes/probes.js';
import type { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { resolveApiToken } from './api-token.js';
import { catalogueFor, createPipeline, logSchemaMigration, openStoreFile, storeFileIn } from './compose.js';
import type { AnyServiceLayer, AttachedLayer, LayerContext, Stoppable } from './layer.js';
import type { ServeConfig } from './serve-config.js';
import { sharedFleetFor } from './shared-fleet.js';
import { VERSION } from './version.js';

export interface RunningService {
  url: string;
  port: number;
  apiToken: string;
  apiTokenFile: string;
  /** Where the token came from: the environment, the data directory's file, or generated into it now. */
  apiTokenOrigin: 'env' | 'file' | 'generated';
  context: LayerContext;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Layers to attach, in order (`serve`: SERVICE_LAYERS); their config blocks' values come from `config`. */
  layers?: readonly AnyServiceLayer[];
  /** Inject a store (tests); by default SQLite in the data directory. */
  store?: Store;
  clock?: () => number;
  /** The service's logger; by default pino at the config's level, JSON on stderr. */
  log?: Logger;
  /**
   * The store is shared with other instances: the fleet index re-reads it this often (FLEET_SYNC_INTERVAL_MS,
   * docs/fleet-truth.md). Absent: the store is this instance's own and the index is change-driven only.
   */
  fleetSyncIntervalMs?: number;
  /** Runs before each periodic fleet sync: a SharedStore's syncRegistry (docs/fleet-truth.md). */
  beforeFleetSync?: () => Promise<unknown>;
  /** A SharedStore's incremental pass (syncFleet): each periodic sync re-reads only the devices it names. */
  fleetSyncChanges?: () => Promise<FleetSyncChanges>;
  /** Client timeouts and the connection cap; by default HTTP_SERVER_LIMITS (tests shorten them). */
  httpLimits?: Partial<HttpServerLimits>;
}

/**
 * Composition root: store → ingest pipeline → layers attached (their routes) → HTTP listens → layers started. Shutdown
 * runs in the reverse order: /readyz turns 503 and HTTP stops accepting, the sources stop while HTTP answers what it
 * has in flight (graceful-close.ts, within the drain grace period), then the store closes: nothing acknowledged is
 * lost and no request that was accepted is reset.
 * The config is validated (every block) before this runs: loadServeConfig / serveConfigFrom.
 */
export async function startService(config: ServeConfig, options: StartOptions = {}): Promise<RunningService> {
  const log = options.log ?? pinoLogger({ level: config.logLevel });
  const clock = options.clock ?? Date.now;
  mkdirSync(config.dataDir, { recursive: true });
  const catalogue = catalogueFor(config.defaults);
  let store: Store = options.store ?? openStoreFile(storeFileIn(config.dataDir));
  let startOptions = options;
  if (options.store === undefined) {
    logSchemaMigration(log, store as SqliteStore);
    const shared = sharedFleetFor(config, store as SqliteStore);
    if (shared !== undefined) {
      store = shared.store;
      startOptions = {
        ...options,
        fleetSyncIntervalMs: shared.fleetSyncIntervalMs,
        beforeFleetSync: shared.beforeFleetSync,
        fleetSyncChanges: shared.fleetSyncChanges,
      };
    }
  }
  try {
    return await startOnStore(config, startOptions, store, catalogue, clock, log);
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

async function startOnStore(
  config: ServeConfig,
  options: StartOptions,
  rawStore: Store,
  catalogue: Catalogue,
  clock: () => number,
  log: Logger,
): Promise<RunningService> {
  const metrics = new PrometheusExporter({ sources: () => health.readings(), totals: () => [ingestReading(ingest)] });
  const store = timeMethods(rawStore, (operation, seconds, ok) => metrics.observeStore(operation, seconds, ok));
  const { bus, health, presence, ingest } = createPipeline(store, config.defaults, clock);
  health.register('log', new LogHealth(log));
  const token = resolveApiToken(config.apiToken, config.dataDir);
  const fleetIndex = new FleetIndex({
    store,
    catalogue,
    bus,
    presence,
    clock,
    onlineThresholdMs: config.onlineThresholdMs,
    ...(options.fleetSyncIntervalMs === undefined ? {} : { syncIntervalMs: options.fleetSyncIntervalMs }),
    ...(options.beforeFleetSync === undefined ? {} : { beforeSync: options.beforeFleetSync }),
    ...(options.fleetSyncChanges === undefined ? {} : { syncChanges: options.fleetSyncChanges }),
    onSyncError: (error) => log.warn('fleet index: periodic sync from the shared store failed (retried at the next interval)', errorFields(error)),
  });
  // Loads in steps while the service starts; the first GET /api/fleet waits for it (and only it).
  void fleetIndex.start().catch((error: unknown) => log.error('fleet index: loading failed', errorFields(error)));
  const context: LayerContext = { config, store, catalogue, ingest, bus, health, presence, fleetIndex, apiToken: token.token, log };
  const layers = options.layers ?? [];
  const layerStates: Record<string, LayerState> = Object.fromEntries(layers.map((layer) => [layer.name, 'starting' as LayerState]));
  let storeState: Readiness['store'] = 'open';
  let draining = false;
  const attached: AttachedLayer[] = [];
  try {
    for (const layer of layers) attached.push(await layer.attach(context, layerConfig(config, layer)));
  } catch (error) {
    fleetIndex.stop();
    await ingest.close();
    await abortAll(attached, log);
    throw error;
  }

  const limits = { ...HTTP_SERVER_LIMITS, ...options.httpLimits };
  let server: Server;
  let connections: ConnectionTracker;
  try {
    const { handler, stats } = createApp({
      store,
      catalogue,
      ingest,
      bus,
      health,
      presence,
      apiToken: token.token,
      defaults: config.defaults,
      clock,
      log: log.child({ component: 'http' }),
      onlineThresholdMs: config.onlineThresholdMs,
      fleetIndex,
      version: VERSION,
      readiness: () => ({ store: storeState, draining, layers: { ...layerStates } }),
      metrics,
      apiRouters: attached.flatMap((layer) => layer.apiRouters ?? []),
      rootHandlers: attached.flatMap((layer) => layer.rootHandlers ?? []),
    });
    server = createHttpServer(handler, stats, limits);
    connections = new ConnectionTracker(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    fleetIndex.stop();
    await ingest.close();
    await abortAll(attached, log);
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${displayHost}:${port}`;

  const started: Stoppable[] = [];
  let next = 0;
  try {
    for (; next < attached.length; next += 1) {
      const stoppable = await attached[next]!.start?.();
      if (stoppable) started.push(stoppable);
      layerStates[layers[next]!.name] = 'started';
    }
  } catch (error) {
    await stopAll(started, log);
    await abortAll(attached.slice(next), log);
    await closeServer(server);
    fleetIndex.stop();
    await ingest.close(); // a source that started may have submitted windows: commit them before the store closes
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    apiToken: token.token,
    apiTokenFile: token.file,
    apiTokenOrigin: token.origin,
    context,
    close: () => {
      closing ??= (async () => {
        // Not ready from now on; HTTP stops accepting at once and answers what it has while the sources stop.
        draining = true;
        const drained = connections.drain({ graceMs: limits.drainGraceMs, idleMs: limits.drainIdleMs });
        for (const name of Object.keys(layerStates)) layerStates[name] = 'stopping';
        await stopAll(started, log);
        for (const name of Object.keys(layerStates)) layerStates[name] = 'stopped';
        const result = await drained;
        if (result.cut > 0) log.warn('http: connections cut at the end of the drain grace period', { ...result, graceMs: limits.drainGraceMs });
        else log.info('http: drained', { ...result });
        fleetIndex.stop();
        await ingest.close(); // commits what was submitted before the store closes
        storeState = 'closed';
        await store.close();
      })();
      return closing;
    },
  };
}

/** Ingest's counters over every source, as the exporter reads a source's. */
function ingestReading(ingest: IngestService): CounterReading {
  const { rejectedByReason, lastRejection: _lastRejection, ...counters } = ingest.counters;
  return { family: ingest.family, source: 'ingest', counters, rejected: rejectedByReason };
}

/** The value a layer's config block parsed into `config`; a layer whose block was not loaded is a wiring mistake. */
function layerConfig(config: ServeConfig, layer: AnyServiceLayer): unknown {
  if (layer.config === undefined) return undefined;
  const value = (config as unknown as Record<string, unknown>)[layer.config.name];
  if (value === undefined)
    throw new ConfigError(
      `layer "${layer.name}": its config block "${layer.config.name}" is not in the serve config (loadServeConfig reads the blocks of SERVICE_LAYERS)`,
    );
  return value;
}

/** Undo attach() of layers that never started (the service failed before listening). */
async function abortAll(attached: readonly AttachedLayer[], log: Logger): Promise<void> {
  for (const layer of [...attached].reverse()) {
    try {
      await layer.abort?.();
    } catch (error) {
      log.error('aborting a layer failed', errorFields(error));
    }
  }
}

async function stopAll(started: readonly Stoppable[], log: Logger): Promise<void> {
  for (const stoppable of [...started].reverse()) {
    try {
      await stoppable.stop();
    } catch (error) {
      log.error(`stopping ${stoppable.name} failed`, errorFields(error));
    }
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
