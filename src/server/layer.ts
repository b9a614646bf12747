/**
 * The layer contract: what a part of `serve` (serial readers, MQTT, dashboard, and the wings to come) declares and
 * gets. A layer names its config block (its options, parsed once at startup with every other block) and, once per
 * running service, attaches itself: routes before the HTTP server listens, sources started after. New layers live
 * in src/server/layers/ and take one line in src/server/layers.ts.
 */
import type { RequestHandler, Router } from 'express';
import type { AnyConfigBlock, ConfigBlock } from '../config/config-block.js';
import type { IngestService } from '../ingest/ingest-service.js';
import type { PresenceRegistry } from '../live/device-presence.js';
import type { LiveBus } from '../live/live-bus.js';
import type { Catalogue } from '../model/catalogue-types.js';
import type { HealthRegistry } from '../obs/health-registry.js';
import type { FleetIndex } from '../service/fleet-index.js';
import type { Logger } from '../obs/logger.js';
import type { Store } from '../store/store.js';
import type { CoreConfig } from './core-config.js';

/** A running reader or broker, stopped in reverse order of start. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/** What a running service hands each layer: its core config and the shared parts every layer may use. */
export interface LayerContext {
  config: CoreConfig;
  store: Store;
  catalogue: Catalogue;
  ingest: IngestService;
  bus: LiveBus;
  health: HealthRegistry;
  /** Device presence reported by transports (MQTT status / last will), read by the device and fleet views. */
  presence: PresenceRegistry;
  /** Every device's fleet row and the fleet totals, kept current from the bus (GET /api/fleet, the live feed). */
  fleetIndex: FleetIndex;
  apiToken: string;
  /** The service's logger; a layer logs through a child with its `component`. */
  log: Logger;
}

/** One layer attached to one running service: its state lives here, not in module variables. */
export interface AttachedLayer {
  /** Routers mounted under /api, after the core routes. */
  apiRouters?: readonly Router[];
  /** Handlers mounted at / (the dashboard's static files). */
  rootHandlers?: readonly RequestHandler[];
  /** Called after the HTTP server listens; what it returns is stopped at shutdown, before HTTP closes. */
  start?(): Promise<Stoppable | null>;
  /** Releases what attach() opened when the service fails before start() ran (e.g. the port is taken). */
  abort?(): Promise<void>;
}

export interface ServiceLayer<Config = undefined> {
  readonly name: string;
  /** The layer's options; absent when it has none. Its parsed value is what attach() receives. */
  readonly config?: ConfigBlock<string, Config>;
  /** Once per service, before listen. May open local resources (a file store); network and readers wait for start(). */
  attach(context: LayerContext, config: Config): AttachedLayer | Promise<AttachedLayer>;
}

/** A layer of any config type, as a list of layers holds it (attach is a method, so every ServiceLayer<C> is one). */
export type AnyServiceLayer = ServiceLayer<unknown>;

/** The config blocks of a list of layers (each block once). */
export function layerBlocks(layers: readonly AnyServiceLayer[]): AnyConfigBlock[] {
  const blocks: AnyConfigBlock[] = [];
  for (const layer of layers) if (layer.config !== undefined && !blocks.includes(layer.config)) blocks.push(layer.config);
  return blocks;
}
