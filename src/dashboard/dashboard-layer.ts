import type { Router } from 'express';
import { eventsRouter } from '../http/routes/events.js';
import type { ServiceContext, ServiceLayer } from '../server/service.js';
import { LiveFeed } from './live-feed.js';
import { dashboardStaticRouter } from './static-routes.js';

export interface DashboardLayerOptions {
  /** Epoch milliseconds for "online", accrued footprints and the browser's clock offset; tests inject a fixed clock. */
  clock?: () => number;
}

/** The web dashboard: live events under /api, static UI and vendored uPlot at /. */
export function createDashboardLayer(options: DashboardLayerOptions = {}): ServiceLayer {
  const clock = options.clock ?? Date.now;
  /** One feed per running service (a layer object may serve several services, e.g. in tests). */
  const feeds = new WeakMap<ServiceContext, LiveFeed>();

  function feedFor(context: ServiceContext): LiveFeed {
    let feed = feeds.get(context);
    if (feed === undefined) {
      const created = new LiveFeed({
        bus: context.bus,
        store: context.store,
        catalogue: context.catalogue,
        clock,
        onlineThresholdMs: context.config.onlineThresholdMs,
        log: context.log,
        presenceOf: (id) => context.presence.get(id),
      });
      context.health.register('dashboard-events', created);
      feeds.set(context, created);
      feed = created;
    }
    return feed;
  }

  return {
    name: 'dashboard',
    apiRouters(context): Router[] {
      return [eventsRouter({ feed: feedFor(context), store: context.store, clock, onlineThresholdMs: context.config.onlineThresholdMs })];
    },
    rootHandlers(): Router[] {
      return [dashboardStaticRouter()];
    },
    async start(context) {
      const feed = feedFor(context);
      return { name: 'dashboard', stop: async () => feed.stop() };
    },
  };
}

/** The dashboard layer on the wall clock (what `serve` runs). */
export const dashboardLayer: ServiceLayer = createDashboardLayer();
