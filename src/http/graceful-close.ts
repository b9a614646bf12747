/**
 * Closing the HTTP server without resetting a request: stop accepting connections, answer every request already
 * received (with `Connection: close`, so its client opens no further one here), close kept-alive connections once
 * they have been idle for a moment, and cut what is left only when the grace period ends.
 *
 * Node's own `server.close()` closes every idle kept-alive connection at once: a client that has just sent its next
 * request on one (it is in flight on the wire, not parsed yet) gets a reset. A connection is closed here only after
 * DRAIN_IDLE_MS without a byte from its client, checked after the event loop has read pending input.
 */
import { Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';

/** Milliseconds: in-flight requests get this long to finish at shutdown (a fleet answer, a 512 KiB upload at LAN speed). */
export const DRAIN_GRACE_MS = 10_000;
/**
 * Milliseconds a kept-alive connection must stay silent during a drain before it is closed: a client under load sends
 * its next request within a round trip, and gets it answered (with `Connection: close`) instead of a reset.
 */
export const DRAIN_IDLE_MS = 500;
/** Milliseconds between two looks at the open connections during a drain. */
const DRAIN_POLL_MS = 50;

interface ConnectionState {
  inFlight: number;
  /** performance.now() when its last request ended (or when it opened), and the bytes read by then. */
  idleSinceMs: number;
  bytesReadWhenIdle: number;
}

export interface DrainResult {
  /** Requests answered after the drain began. */
  answered: number;
  /** Idle kept-alive connections closed by the drain. */
  idleClosed: number;
  /** Connections still open when the grace period ended, cut (with the requests they carried). */
  cut: number;
  cutRequests: number;
  durationMs: number;
}

export interface DrainLimits {
  graceMs: number;
  idleMs: number;
}

/** Tracks the server's connections and their requests from the start, so a drain knows which are busy. */
export class ConnectionTracker {
  private readonly connections = new Map<Socket, ConnectionState>();
  private draining = false;
  private answeredWhileDraining = 0;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { inFlight: 0, idleSinceMs: performance.now(), bytesReadWhenIdle: 0 });
      socket.once('close', () => this.connections.delete(socket));
    });
    // Before Express: a response sent synchronously must already carry `Connection: close` during a drain.
    server.prependListener('request', (req, res) => {
      const state = this.connections.get(req.socket);
      if (state === undefined) return;
      state.inFlight += 1;
      if (this.draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        state.inFlight -= 1;
        state.idleSinceMs = performance.now();
        state.bytesReadWhenIdle = req.socket.bytesRead;
        if (this.draining) this.answeredWhileDraining += 1;
      });
    });
  }

  /** Requests being answered now. */
  get inFlight(): number {
    let sum = 0;
    for (const state of this.connections.values()) sum += state.inFlight;
    return sum;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Stop accepting, let what is in flight finish within `graceMs`, then close; resolves once every connection is closed. */
  async drain(limits: DrainLimits): Promise<DrainResult> {
    this.draining = true;
    const startMs = performance.now();
    // net.Server's close stops listening only; http.Server's would also close every idle connection at once.
    const listenerClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    let idleClosed = 0;
    while (this.connections.size > 0 && performance.now() - startMs < limits.graceMs) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      // After the poll phase: input that arrived meanwhile has been read and parsed (a new request is in flight).
      await new Promise((resolve) => setImmediate(resolve));
      const nowMs = performance.now();
      for (const [socket, state] of this.connections) {
        const silent = state.inFlight === 0 && socket.bytesRead === state.bytesReadWhenIdle && nowMs - state.idleSinceMs >= limits.idleMs;
        if (silent) {
          socket.destroy();
          this.connections.delete(socket);
          idleClosed += 1;
        }
      }
    }
    const cut = this.connections.size;
    const cutRequests = this.inFlight;
    for (const socket of this.connections.keys()) socket.destroy();
    // http.Server's close stops its timeout checks; the listener is closed already (its error is expected).
    this.server.close(() => {});
    await listenerClosed;
    return { answered: this.answeredWhileDraining, idleClosed, cut, cutRequests, durationMs: performance.now() - startMs };
  }
}
