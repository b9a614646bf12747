import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { DRAIN_GRACE_MS, DRAIN_IDLE_MS } from './graceful-close.js';
import type { HttpRejectReason, HttpStats } from './http-stats.js';

/**
 * How long a client may take, set on purpose rather than left at Node's defaults (300 s for a request, 60 s for its
 * headers, checked every 30 s: 50 sockets sending a body a byte at a time were still open after 130 s, idle ones 90 s).
 */
export interface HttpServerLimits {
  /** Request line and headers, from the connection's start: one packet from any device or browser. */
  headersTimeoutMs: number;
  /** The whole request, body included (the timer stops once the request is in: event streams are not cut). */
  requestTimeoutMs: number;
  /** An idle kept-alive connection between two requests. */
  keepAliveTimeoutMs: number;
  /** How often Node looks for sockets past the two request timeouts: the most a socket outlives them by. */
  checkingIntervalMs: number;
  /** Open connections at once; a new one past this is closed at once and counted (`connectionsDropped`). */
  maxConnections: number;
  /** At shutdown: how long in-flight requests may take (graceful-close.ts). */
  drainGraceMs: number;
  /** At shutdown: how long a kept-alive connection must be silent before it is closed. */
  drainIdleMs: number;
}

/** Milliseconds: 10 s for headers covers a slow mobile link; a slow-header (slowloris) socket is cut there. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Milliseconds: the largest body (MAX_BODY_BYTES, 512 KiB) arrives in 30 s at 140 kbit/s; a drip-fed body is cut at 30 s. */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Milliseconds: Node's 5 s, made explicit. Clients reconnect cheaply on loopback and LAN; behind a reverse proxy that
 * keeps idle upstream connections open longer, raise it above the proxy's idle timeout.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Milliseconds: 1 s, so a timed-out socket is closed within a second of its limit (a walk over the open connections). */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;
/**
 * Connections: 200 event streams (MAX_EVENT_CLIENTS) plus 800 API, ingest and dashboard clients; each costs a file
 * descriptor and buffers, and the process also holds the broker's device connections, serial ports and the store.
 */
export const MAX_CONNECTIONS = 1_000;

export const HTTP_SERVER_LIMITS: HttpServerLimits = Object.freeze({
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  checkingIntervalMs: CONNECTIONS_CHECKING_INTERVAL_MS,
  maxConnections: MAX_CONNECTIONS,
  drainGraceMs: DRAIN_GRACE_MS,
  drainIdleMs: DRAIN_IDLE_MS,
});

const REQUEST_TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const HEADER_TOO_LARGE_RESPONSE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const BAD_REQUEST_RESPONSE = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * A socket-level failure, before Express sees a request: answered as Node would (408, 431, 400) and counted by reason
 * in /api/health (`request-timeout`, `header-too-large`, `bad-http`). A client that went away is not a rejection.
 */
function onClientError(stats: HttpStats, error: NodeJS.ErrnoException, socket: Socket): void {
  const code = error.code ?? '';
  // A response already under way (Node keeps it in `_httpMessage`) must not get a second status line in its middle.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
  if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const [reason, response]: [HttpRejectReason, string] =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request-timeout', REQUEST_TIMEOUT_RESPONSE]
      : code === 'HPE_HEADER_OVERFLOW'
        ? ['header-too-large', HEADER_TOO_LARGE_RESPONSE]
        : ['bad-http', BAD_REQUEST_RESPONSE];
  stats.reject(reason, `${code}: ${error.message}`);
  socket.write(response);
  socket.destroy();
}

/** The HTTP server of the API and dashboard, with every client-side limit set and every cut counted. */
export function createHttpServer(app: RequestListener, stats: HttpStats, limits: HttpServerLimits = HTTP_SERVER_LIMITS): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkingIntervalMs,
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => stats.countDroppedConnection());
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => onClientError(stats, error, socket));
  return server;
}
