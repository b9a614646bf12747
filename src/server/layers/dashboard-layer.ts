/** The dashboard layer: the live event stream under /api (GET /api/events), the static UI and vendored uPlot at /. */
import { eventsRouter } from '../../dashboard/events-router.js';
import { LiveFeed } from '../../dashboard/live-feed.js';
import { dashboardStaticRouter } from '../../dashboard/static-routes.js';
import type { ServiceLayer } from '../layer.js';

export interface DashboardLayerOptions {
  /** Epoch milliseconds for "online", accrued footprints and the browser's clock offset; tests inject a fixed clock. */
  clock?: () => number;
}

/** The dashboard has no options of its own: it shows what the core config and the store hold. */
export function createDashboardLayer(options: DashboardLayerOptions = {}): ServiceLayer {
  const clock = options.clock ?? Date.now;
  return {
    name: 'dashboard',
    attach(context) {
      const feed = new LiveFeed({
        bus: context.bus,
        store: context.store,
        catalogue: context.catalogue,
        fleetIndex: context.fleetIndex,
        clock,
        onlineThresholdMs: context.config.onlineThresholdMs,
        log: context.log,
        presenceOf: (id) => context.presence.get(id),
      });
      context.health.register('dashboard-events', feed);
      const stop = async (): Promise<void> => feed.stop();
      return {
        apiRouters: [eventsRouter({ feed, store: context.store, clock, onlineThresholdMs: context.config.onlineThresholdMs })],
        rootHandlers: [dashboardStaticRouter()],
        start: async () => ({ name: 'dashboard', stop }),
        abort: stop,
      };
    },
  };
}

/** The dashboard layer on the wall clock (what `serve` runs). */
export const dashboardLayer: ServiceLayer = createDashboardLayer();
