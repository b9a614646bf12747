/**
 * Request ids and the access log: every request gets an id (the client's X-Request-Id when it sent a sane one, else a
 * new one: this process's random prefix and a counter), returned in X-Request-Id and written on its access-log line when the answer is sent, or when the client
 * hung up first (`aborted`). Probes and scrapes log at debug. The same log serves the Express app (accessLog) and the
 * fast path ahead of it (fast-path.ts): one `close` listener per request does the line and the duration metric, and
 * the line's fields are built only when its level is enabled (no per-request child logger: a pino child per request
 * cost more than the rest of a /livez answer). With the service's logger the line is serialised here
 * (accessLineFields, logger.writeJsonFields): the same JSON pino writes for the fields object, without pino's walk
 * over an object built per request (bench/access-log.ts); other loggers get the object.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../obs/logger.js';
import { arrivalNs } from './arrival.js';
import { LIVEZ_PATH, READYZ_PATH } from './routes/probes.js';
import { pathOf } from './url-path.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A client's id is kept when it is 1–128 visible characters that need no escaping in a log line or a header. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** Paths polled by machines every few seconds: their access-log lines are debug, not info. */
const QUIET_PATHS = new Set([LIVEZ_PATH, READYZ_PATH, '/metrics']);
/** Characters of the path and query on a log line; a longer URL is cut (the limit is the server's, not the log's). */
const MAX_LOGGED_URL_CHARS = 512;

/**
 * The first part of every id this process makes: 48 random bits, so two processes (a restart, another instance behind
 * the same proxy) practically never share one. Hex, so a made id also passes CLIENT_REQUEST_ID when sent on downstream.
 */
const REQUEST_ID_PREFIX = randomBytes(6).toString('hex');
/** Ids made so far; with the prefix, unique within the process (2^53 requests). */
let madeRequestIds = 0;

export type ObserveRequest = (method: string, route: string, status: number, seconds: number) => void;

/**
 * A new request id: `<prefix>-<counter in base 36>`. Unique like a UUID for a log's purposes (one process never
 * repeats one, another has its own prefix) for about a quarter of randomUUID's CPU (90 against 390 ns, and no 36-character
 * string built from random bytes), which every probe answer pays.
 */
export function newRequestId(): string {
  madeRequestIds += 1;
  return `${REQUEST_ID_PREFIX}-${madeRequestIds.toString(36)}`;
}

/**
 * The request id of a request with these headers: the client's when sane, else a new one. A client's id in this
 * process's own form with a counter not made yet is refused: made ids are predictable, and a client could otherwise
 * take the id the next request gets (an id it was given before, a retry, is kept).
 */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) && !claimsFutureId(given) ? given : newRequestId();
}

const OWN_ID_START = `${REQUEST_ID_PREFIX}-`;

function claimsFutureId(given: string): boolean {
  if (!given.startsWith(OWN_ID_START)) return false;
  const counter = given.slice(OWN_ID_START.length);
  return /^[0-9a-z]+$/.test(counter) && !(parseInt(counter, 36) <= madeRequestIds);
}

/** The logger of this request (its lines carry the request id); the service's outside a request. */
export function requestLog(res: Response, fallback: Logger): Logger {
  const reqId: unknown = res.locals['reqId'];
  return typeof reqId === 'string' ? fallback.child({ reqId }) : fallback;
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

/**
 * Starts the log of one request without setting X-Request-Id: for a caller that writes the id in its own writeHead
 * (fast-path.ts: one header object, not setHeader and then a merge of two). When the answer ends (or the client hangs
 * up) `route` (a template, or a function naming it then) labels the duration metric and the access-log line is
 * written. Returns the id.
 */
export function beginRequestLog(log: Logger, observe: ObserveRequest, req: IncomingMessage, res: ServerResponse, route: string | (() => string)): string {
  // A request that waited for a later turn (turn-budget.ts) is timed from its arrival.
  const startNs = arrivalNs(req) ?? process.hrtime.bigint();
  const reqId = requestIdOf(req.headers);
  // Read now: routers rewrite req.url while they run.
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  // Connections carry one request at a time: what the socket wrote since is this answer, headers included.
  const socket = req.socket;
  const bytesWrittenBefore = socket.bytesWritten;
  // `close` is emitted once per response: `on` spares once's wrapper and its removal.
  res.on('close', () => {
    const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
    observe(method, typeof route === 'string' ? route : route(), res.statusCode, seconds);
    const level = QUIET_PATHS.has(pathOf(rawUrl)) ? 'debug' : 'info';
    if (!log.isLevelEnabled(level)) return;
    const url = rawUrl.length > MAX_LOGGED_URL_CHARS ? `${rawUrl.slice(0, MAX_LOGGED_URL_CHARS)}…` : rawUrl;
    const durationMs = Math.round(seconds * 1e6) / 1e3;
    const bytes = socket.bytesWritten - bytesWrittenBefore;
    const remote = socket.remoteAddress ?? null;
    const aborted = !res.writableFinished;
    if (log.writeJsonFields !== undefined) {
      log.writeJsonFields(level, 'request', accessLineFields(reqId, method, url, res.statusCode, durationMs, bytes, remote, aborted));
      return;
    }
    log[level]('request', { reqId, method, url, status: res.statusCode, durationMs, bytes, remote, ...(aborted ? { aborted } : {}) });
  });
  return reqId;
}

/**
 * The access line's fields as JSON members, in the order of the object logged otherwise: what pino writes for
 * `{ reqId, method, url, status, durationMs, bytes, remote, aborted? }`, without pino's walk over an object built per
 * request (its serialisation was most of the line's CPU). The strings are JSON.stringify'd: the url is the client's
 * bytes, and the request id may be the client's (its characters need no escaping today, CLIENT_REQUEST_ID, but the
 * line must stay JSON if that rule changes). The numbers are a status, a rounded duration and a byte count; one that
 * is not finite (none is today) is written as null, as JSON.stringify would, so the line stays JSON.
 */
export function accessLineFields(
  reqId: string,
  method: string,
  url: string,
  status: number,
  durationMs: number,
  bytes: number,
  remote: string | null,
  aborted: boolean,
): string {
  return (
    `"reqId":${JSON.stringify(reqId)},"method":${JSON.stringify(method)},"url":${JSON.stringify(url)},"status":${jsonNumber(status)},` +
    `"durationMs":${jsonNumber(durationMs)},"bytes":${jsonNumber(bytes)},"remote":${remote === null ? 'null' : JSON.stringify(remote)}${aborted ? ',"aborted":true' : ''}`
  );
}

/** A number as JSON: null when it is not finite (NaN, ±Infinity, or undefined at run time). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** Starts the log of one request (beginRequestLog) and sets its id on the answer. Returns the id. */
export function logRequest(log: Logger, observe: ObserveRequest, req: IncomingMessage, res: ServerResponse, route: string | (() => string)): string {
  const reqId = beginRequestLog(log, observe, req, res, route);
  res.setHeader(REQUEST_ID_HEADER, reqId);
  return reqId;
}

/** The access log of the Express app: the request id is kept in res.locals for the request's own lines (requestLog). */
export function accessLog(log: Logger, observe: ObserveRequest): RequestHandler {
  return (req, res, next) => {
    res.locals['reqId'] = logRequest(log, observe, req, res, () => routeOf(req, res));
    next();
  };
}
