import type { Router } from 'express';
import { eventsRouter } from '../http/routes/events.js';
import type { ServiceContext, ServiceLayer } from '../server/service.js';
import { LiveFeed } from './live-feed.js';
import { dashboardStaticRouter } from './static-routes.js';

/** One feed per running service (a layer object may serve several services, e.g. in tests). */
const feeds = new WeakMap<ServiceContext, LiveFeed>();

function feedFor(context: ServiceContext): LiveFeed {
  let feed = feeds.get(context);
  if (feed === undefined) {
    const created = new LiveFeed({
      bus: context.bus,
      store: context.store,
      catalogue: context.catalogue,
      clock: Date.now,
      onlineThresholdMs: context.config.onlineThresholdMs,
      log: context.log,
    });
    context.health.register('dashboard-events', () => ({
      name: 'dashboard-events',
      kind: 'http',
      state: created.clientCount > 0 ? 'streaming' : 'idle',
      counters: { clients: created.clientCount, ...created.counters },
      rejected: {},
      lastError: null,
    }));
    feeds.set(context, created);
    feed = created;
  }
  return feed;
}

/** The web dashboard: live events under /api, static UI and vendored uPlot at /. */
export const dashboardLayer: ServiceLayer = {
  name: 'dashboard',
  apiRouters(context): Router[] {
    return [eventsRouter({ feed: feedFor(context), store: context.store, clock: Date.now, onlineThresholdMs: context.config.onlineThresholdMs })];
  },
  rootHandlers(): Router[] {
    return [dashboardStaticRouter()];
  },
  async start(context) {
    const feed = feedFor(context);
    return { name: 'dashboard', stop: async () => feed.stop() };
  },
};
