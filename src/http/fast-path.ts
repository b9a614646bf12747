/**
 * The hot GETs answered ahead of Express: /livez, /readyz, /api/health, a device's footprint, the fleet totals (rows=false) and a
 * fleet page whose URL the Express route validated before, polled by probes and dashboards
 * thousands of times a second. Express's app and router stack (a dozen middleware layers, URL parsing, the response
 * helpers) cost more than the answer itself; here a request pays one path test, the access log and the request
 * metric (the same log line, id and histogram as through Express), and its answer is written in one call. The
 * answers are those of the Express routes, byte for byte (test/http/fast-path.test.ts compares both); anything else,
 * or an unusual form of these paths (a trailing slash, other letter case, a body, HEAD), goes to Express unchanged.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../obs/logger.js';
import type { FleetIndex } from '../service/fleet-index.js';
import { beginRequestLog, logRequest, REQUEST_ID_HEADER, type ObserveRequest } from './access-log.js';
import type { HttpStats } from './http-stats.js';
import { writeProblem } from './problem.js';
import { fleetPageAnswer, fleetTotalsBody } from './routes/fleet.js';
import { FOOTPRINT_CACHE_CONTROL, FOOTPRINT_ROUTE, type FootprintAnswer, type FootprintResponder } from './routes/device-footprint.js';
import type { HealthAnswer } from './routes/health.js';
import { isReady, LIVEZ_BODY, LIVEZ_PATH, READYZ_PATH, readyzBody, type Readiness } from './routes/probes.js';
import { pathOf } from './url-path.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const API_BASE = '/api';
const FOOTPRINT_PREFIX = `${API_BASE}/devices/`;
const FOOTPRINT_SUFFIX = '/footprint';
const FOOTPRINT_METRIC_ROUTE = `${API_BASE}${FOOTPRINT_ROUTE}`;
const FLEET_ROUTE = `${API_BASE}/fleet`;
/** GET /api/health: through Express it ran a dozen middleware layers and every router before it, ~0.3 ms of CPU. */
const HEALTH_ROUTE = `${API_BASE}/health`;
/** The fleet totals as the dashboard and monitors ask for them; any other query goes to Express (validated there). */
const FLEET_TOTALS_URL = `${FLEET_ROUTE}?rows=false`;
/** A fleet page: answered here only when Express validated this very URL before (routes/fleet.ts fleetPageAnswer). */
const FLEET_PAGE_PREFIX = `${FLEET_ROUTE}?`;

export interface FastPathDeps {
  stats: HttpStats;
  /** The HTTP component's logger (access-log lines, internal errors). */
  log: Logger;
  observe: ObserveRequest;
  readiness: () => Readiness;
  footprint: FootprintResponder;
  fleetIndex: FleetIndex;
  clock: () => number;
  /** /api/health's answer (routes/health.ts healthAnswer, the Express route's too). */
  health: () => Promise<HealthAnswer>;
}

/** The device id of `/api/devices/<id>/footprint`, percent-decoded as Express decodes it; null for any other path. */
export function footprintIdOf(pathname: string): string | null {
  if (!pathname.startsWith(FOOTPRINT_PREFIX) || !pathname.endsWith(FOOTPRINT_SUFFIX)) return null;
  const raw = pathname.slice(FOOTPRINT_PREFIX.length, pathname.length - FOOTPRINT_SUFFIX.length);
  if (raw.length === 0 || raw.includes('/')) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null; // Express answers a malformed escape (400)
  }
}

/**
 * Every answer here names its request id in its one writeHead (beginRequestLog sets no header): a setHeader before it
 * would make Node merge the two header sets, header by header, on every answer.
 */
function writeJson(res: ServerResponse, reqId: string, status: number, body: string, byteLength = Buffer.byteLength(body)): void {
  res.writeHead(status, { [REQUEST_ID_HEADER]: reqId, 'content-type': JSON_CONTENT_TYPE, 'content-length': byteLength });
  res.end(body);
}

/** A failure answered as a problem (problem.ts), with the request id that the answer did not get yet. */
function failWith(res: ServerResponse, reqId: string, stats: HttpStats, log: Logger, error: unknown): void {
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, reqId);
  writeProblem(res, stats, log.child({ reqId }), error);
}

const LIVEZ_BYTES = Buffer.byteLength(LIVEZ_BODY);

/** Express's request listener with the hot GETs answered first. */
export function withFastPath(app: RequestListener, deps: FastPathDeps): RequestListener {
  const { stats, log, observe } = deps;
  const writeFootprint = (res: ServerResponse, reqId: string, answer: FootprintAnswer): void => {
    if (answer.body === null) {
      res.writeHead(304, { [REQUEST_ID_HEADER]: reqId, etag: answer.etag, 'cache-control': FOOTPRINT_CACHE_CONTROL });
      res.end();
      return;
    }
    const served = answer.body;
    res.writeHead(200, {
      [REQUEST_ID_HEADER]: reqId,
      etag: answer.etag,
      'cache-control': FOOTPRINT_CACHE_CONTROL,
      'content-type': JSON_CONTENT_TYPE,
      'content-length': served.byteLength,
    });
    // One write of the three parts (writev): the entry's bytes are sent as they are, never re-encoded.
    res.cork();
    res.write(served.head);
    res.write(served.prefix);
    res.end(served.tail);
    res.uncork();
  };
  const answerFootprint = (req: IncomingMessage, res: ServerResponse, id: string, reqId: string): void => {
    const failed = (error: unknown): void => failWith(res, reqId, stats, log, error);
    let answer: FootprintAnswer | Promise<FootprintAnswer>;
    try {
      answer = deps.footprint(id, req.headers['if-none-match']);
      // From memory the answer is written in this turn; from the store once its reads are done.
      if (!(answer instanceof Promise)) {
        writeFootprint(res, reqId, answer);
        return;
      }
    } catch (error) {
      failed(error);
      return;
    }
    answer.then((ready) => writeFootprint(res, reqId, ready)).catch(failed);
  };
  const answerFleetTotals = async (res: ServerResponse, reqId: string): Promise<void> => {
    try {
      writeJson(res, reqId, 200, await fleetTotalsBody(deps.fleetIndex, deps.clock, undefined));
    } catch (error) {
      failWith(res, reqId, stats, log, error);
    }
  };
  const answerHealth = async (res: ServerResponse, reqId: string): Promise<void> => {
    try {
      const answer = await deps.health();
      writeJson(res, reqId, answer.status, answer.body);
    } catch (error) {
      failWith(res, reqId, stats, log, error);
    }
  };
  return (req, res) => {
    const url = req.url ?? '/';
    // Only a GET without a body: Express refuses some bodies (415) and parses JSON ones.
    if (req.method !== 'GET' || req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0') {
      app(req, res);
      return;
    }
    if (url === FLEET_TOTALS_URL) {
      stats.countRequest();
      void answerFleetTotals(res, beginRequestLog(log, observe, req, res, FLEET_ROUTE));
      return;
    }
    const answerPage = url.startsWith(FLEET_PAGE_PREFIX) ? fleetPageAnswer(deps.fleetIndex, url) : null;
    if (answerPage !== null) {
      stats.countRequest();
      // The page is written by the fleet route's own code: the id goes on as a header set beforehand.
      const reqId = logRequest(log, observe, req, res, FLEET_ROUTE);
      answerPage(req, res).catch((error: unknown) => failWith(res, reqId, stats, log, error));
      return;
    }
    const pathname = pathOf(url);
    if (pathname === LIVEZ_PATH) {
      stats.countRequest();
      writeJson(res, beginRequestLog(log, observe, req, res, LIVEZ_PATH), 200, LIVEZ_BODY, LIVEZ_BYTES);
      return;
    }
    if (pathname === HEALTH_ROUTE) {
      stats.countRequest();
      void answerHealth(res, beginRequestLog(log, observe, req, res, HEALTH_ROUTE));
      return;
    }
    if (pathname === READYZ_PATH) {
      stats.countRequest();
      const reqId = beginRequestLog(log, observe, req, res, READYZ_PATH);
      const readiness = deps.readiness();
      writeJson(res, reqId, isReady(readiness) ? 200 : 503, readyzBody(readiness));
      return;
    }
    const id = footprintIdOf(pathname);
    if (id === null) {
      app(req, res);
      return;
    }
    stats.countRequest();
    const reqId = beginRequestLog(log, observe, req, res, FOOTPRINT_METRIC_ROUTE);
    answerFootprint(req, res, id, reqId);
  };
}
