/**
 * Request ids and the access log: every request gets an id (the client's X-Request-Id when it sent a sane one, else a
 * new UUID), returned in X-Request-Id, bound to the request's logger (res.locals.log) and written on its access-log
 * line when the answer is sent, or when the client hung up first (`aborted`). Probes and scrapes log at debug.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../obs/logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A client's id is kept when it is 1–128 visible characters that need no escaping in a log line or a header. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** Paths polled by machines every few seconds: their access-log lines are debug, not info. */
const QUIET_PATHS = new Set(['/livez', '/readyz', '/metrics']);
/** Characters of the path and query on a log line; a longer URL is cut (the limit is the server's, not the log's). */
const MAX_LOGGED_URL_CHARS = 512;

export type ObserveRequest = (method: string, route: string, status: number, seconds: number) => void;

/** The request id of this request: the client's when sane, else a new one. */
export function requestIdOf(req: Request): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The logger of this request (its lines carry the request id); the service's outside a request. */
export function requestLog(res: Response, fallback: Logger): Logger {
  return (res.locals['log'] as Logger | undefined) ?? fallback;
}

/** Where a router is mounted (`/api`): Express resets req.baseUrl once an error leaves the router, this stays. */
export const markRouterBase: RequestHandler = (req, res, next) => {
  res.locals['routeBase'] = req.baseUrl;
  next();
};

/** The route template that answered (`/api/devices/:id/footprint`), never the raw path: metric labels stay few. */
export function routeOf(req: Request, res: Response): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  const base = typeof res.locals['routeBase'] === 'string' ? res.locals['routeBase'] : req.baseUrl;
  if (typeof route === 'string') return `${base}${route}`;
  const status = res.statusCode;
  return status === 404 ? 'unmatched' : 'other';
}

export function accessLog(log: Logger, observe: ObserveRequest): RequestHandler {
  return (req, res, next) => {
    const startNs = process.hrtime.bigint();
    const reqId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, reqId);
    const child = log.child({ reqId });
    res.locals['log'] = child;
    // Read now: routers rewrite req.url while they run.
    const method = req.method;
    const url = req.originalUrl.length > MAX_LOGGED_URL_CHARS ? `${req.originalUrl.slice(0, MAX_LOGGED_URL_CHARS)}…` : req.originalUrl;
    const quiet = QUIET_PATHS.has(req.path);
    // Connections carry one request at a time: what the socket wrote since is this answer, headers included.
    const bytesWrittenBefore = req.socket.bytesWritten;
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
      const aborted = !res.writableFinished;
      observe(method, routeOf(req, res), res.statusCode, seconds);
      const level = quiet ? 'debug' : 'info';
      if (!child.isLevelEnabled(level)) return;
      child[level]('request', {
        method,
        url,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        bytes: req.socket.bytesWritten - bytesWrittenBefore,
        remote: req.socket.remoteAddress ?? null,
        ...(aborted ? { aborted } : {}),
      });
    });
    next();
  };
}
