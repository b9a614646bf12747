import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RequestHandler, Router } from 'express';
import { buildCatalogue } from '../catalogue/load-catalogue.js';
import { ConfigError } from '../domain/errors.js';
import type { DeviceSpec } from '../domain/types.js';
import { assertSpecResolves } from '../service/device-footprint.js';
import { DATABASE_FILE } from '../config/defaults.js';
import type { ServeConfig } from '../config/serve-config.js';
import { createApp } from '../http/app.js';
import { createHttpServer, HTTP_SERVER_LIMITS, type HttpServerLimits } from '../http/server.js';
import { IngestService } from '../ingest/ingest-service.js';
import { LiveBus } from '../live/live-bus.js';
import type { Catalogue } from '../model/catalogue-types.js';
import { HealthRegistry } from '../obs/health-registry.js';
import { PresenceRegistry } from '../service/device-presence.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { resolveApiToken } from './api-token.js';
import { VERSION } from './version.js';

/** A running reader or broker, stopped in reverse order of start. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/** Context handed to each layer (serial, MQTT, dashboard) so it can attach itself. */
export interface ServiceContext {
  config: ServeConfig;
  store: Store;
  catalogue: Catalogue;
  ingest: IngestService;
  bus: LiveBus;
  health: HealthRegistry;
  /** Device presence reported by transports (MQTT status / last will), read by the device and fleet views. */
  presence: PresenceRegistry;
  apiToken: string;
  log: (message: string) => void;
}

/** A layer contributes HTTP routes before listen and/or starts sources after listen. */
export interface ServiceLayer {
  name: string;
  apiRouters?(context: ServiceContext): Router[];
  rootHandlers?(context: ServiceContext): RequestHandler[];
  start?(context: ServiceContext): Promise<Stoppable | null>;
}

export interface RunningService {
  url: string;
  port: number;
  apiToken: string;
  apiTokenFile: string;
  /** Where the token came from: the environment, the data directory's file, or generated into it now. */
  apiTokenOrigin: 'env' | 'file' | 'generated';
  context: ServiceContext;
  close(): Promise<void>;
}

export interface StartOptions {
  layers?: readonly ServiceLayer[];
  /** Inject a store (tests); by default SQLite in the data directory. */
  store?: Store;
  clock?: () => number;
  log?: (message: string) => void;
  /** Client timeouts and the connection cap; by default HTTP_SERVER_LIMITS (tests shorten them). */
  httpLimits?: Partial<HttpServerLimits>;
}

/**
 * Composition root: store → ingest → HTTP → layers. Shutdown runs in the reverse order: sources stop first, then HTTP,
 * then the store closes, so no acknowledged window is lost.
 */
export async function startService(config: ServeConfig, options: StartOptions = {}): Promise<RunningService> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const clock = options.clock ?? Date.now;
  mkdirSync(config.dataDir, { recursive: true });
  const catalogue = buildCatalogue();
  checkDefaultSpec(catalogue, config.defaults);
  const store = options.store ?? SqliteStore.open(path.join(config.dataDir, DATABASE_FILE));
  try {
    return await startOnStore(config, options, store, catalogue, clock, log);
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

/** Devices that announce themselves get the default spec: it must resolve, or their footprints would all fail. */
function checkDefaultSpec(catalogue: Catalogue, spec: DeviceSpec): void {
  try {
    assertSpecResolves(catalogue, spec);
  } catch (error) {
    throw new ConfigError(`the default device spec does not resolve (--system / --grid): ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function startOnStore(
  config: ServeConfig,
  options: StartOptions,
  store: Store,
  catalogue: Catalogue,
  clock: () => number,
  log: (message: string) => void,
): Promise<RunningService> {
  const bus = new LiveBus();
  const health = new HealthRegistry();
  const ingest = new IngestService(store, bus, config.defaults, clock);
  const token = resolveApiToken(config.apiToken, config.dataDir);
  const presence = new PresenceRegistry(clock);
  // A device going offline (its last will) reaches open dashboards at once, like a new window does.
  presence.onChange((deviceId) => bus.publish({ type: 'device', deviceId }));
  const context: ServiceContext = { config, store, catalogue, ingest, bus, health, presence, apiToken: token.token, log };
  const layers = options.layers ?? [];

  const { app, stats } = createApp({
    store,
    catalogue,
    ingest,
    bus,
    health,
    presence,
    apiToken: token.token,
    defaults: config.defaults,
    clock,
    log,
    onlineThresholdMs: config.onlineThresholdMs,
    fleetCacheTtlMs: config.fleetCacheTtlMs,
    version: VERSION,
    apiRouters: layers.flatMap((layer) => layer.apiRouters?.(context) ?? []),
    rootHandlers: layers.flatMap((layer) => layer.rootHandlers?.(context) ?? []),
  });

  const server = createHttpServer(app, stats, { ...HTTP_SERVER_LIMITS, ...options.httpLimits });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${displayHost}:${port}`;

  const started: Stoppable[] = [];
  try {
    for (const layer of layers) {
      const stoppable = await layer.start?.(context);
      if (stoppable) started.push(stoppable);
    }
  } catch (error) {
    await stopAll(started, log);
    await closeServer(server);
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
        await stopAll(started, log);
        await closeServer(server);
        await store.close();
      })();
      return closing;
    },
  };
}

async function stopAll(started: readonly Stoppable[], log: (message: string) => void): Promise<void> {
  for (const stoppable of [...started].reverse()) {
    try {
      await stoppable.stop();
    } catch (error) {
      log(`stopping ${stoppable.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
