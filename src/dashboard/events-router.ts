import { Router } from 'express';
import { NotFoundError } from '../domain/errors.js';
import { MAX_EVENT_CLIENTS } from '../http/limits.js';
import { RECONNECT_DELAY_MS } from './limits.js';
import type { LiveFeed } from './live-feed.js';
import { SseClient } from './sse-client.js';
import type { Store } from '../store/store.js';
import { HttpError } from '../http/problem.js';
import { eventsQuerySchema } from '../http/schemas.js';
import { validate } from '../http/validate.js';

export interface EventsRouterDeps {
  feed: LiveFeed;
  store: Store;
  clock: () => number;
  onlineThresholdMs: number;
}

/**
 * GET /api/events: server-sent events for the dashboard. `hello` once, then `update` at most every flush interval with
 * the changed devices' fleet rows (and, with `?device=<id>`, that device's power points and full footprint);
 * heartbeat comments keep proxies from closing an idle stream. Closing the request unsubscribes.
 */
export function eventsRouter(deps: EventsRouterDeps): Router {
  const router = Router();
  router.get('/events', async (req, res) => {
    const query = validate(eventsQuerySchema, req.query, 'query');
    const device = query.device ?? null;
    if (device !== null && (await deps.store.getDevice(device)) === undefined) throw new NotFoundError(`device "${device}" is not registered`);
    if (deps.feed.clientCount >= MAX_EVENT_CLIENTS) throw new HttpError(503, 'too-many-streams', `at most ${MAX_EVENT_CLIENTS} event streams at once`);
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const client = new SseClient(
      {
        write: (chunk) => res.write(chunk),
        onDrain: (callback) => res.once('drain', callback),
      },
      device,
    );
    client.hello(
      { serverNowMs: deps.clock(), onlineThresholdMs: deps.onlineThresholdMs, flushIntervalMs: deps.feed.tickIntervalMs, device },
      RECONNECT_DELAY_MS,
    );
    const remove = deps.feed.add(client);
    res.on('close', remove);
  });
  return router;
}
