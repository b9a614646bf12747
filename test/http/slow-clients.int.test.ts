import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { HttpStats } from '../../src/http/http-stats.js';
import {
  CONNECTIONS_CHECKING_INTERVAL_MS,
  createHttpServer,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  REQUEST_TIMEOUT_MS,
  type HttpServerLimits,
} from '../../src/http/server.js';
import { createDashboardLayer } from '../../src/server/layers/dashboard-layer.js';
import { openSse } from '../dashboard/sse-reader.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';

/** Short limits so that the test waits seconds, not Node's minutes; the defaults are checked separately below. */
const LIMITS: Omit<HttpServerLimits, 'drainGraceMs' | 'drainIdleMs'> = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  keepAliveTimeoutMs: 500,
  checkingIntervalMs: 200,
  maxConnections: 100,
};
/** Slack for a busy machine on top of a limit: the bound a socket must be closed within. */
const SLACK_MS = 10_000;
const SLOW_SOCKETS = 50;
const DRIP_INTERVAL_MS = 100;

interface Probe {
  socket: net.Socket;
  received: string;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Write `text` one byte every DRIP_INTERVAL_MS until it is sent or the socket closes. */
  drip(text: string): void;
}

const open: { probe: Probe; stop: () => void }[] = [];

function connect(port: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => clearInterval(timer);
    const probe: Probe = {
      socket,
      received: '',
      closed: new Promise((closed) =>
        socket.once('close', () => {
          done = true;
          stop();
          closed();
        }),
      ),
      isClosed: () => done,
      drip(text) {
        let index = 0;
        timer = setInterval(() => {
          if (done || index >= text.length) return stop();
          socket.write(text[index++]!);
        }, DRIP_INTERVAL_MS);
      },
    };
    socket.on('data', (chunk: Buffer) => (probe.received += chunk.toString('latin1')));
    socket.once('connect', () => {
      socket.on('error', () => {}); // a reset after the server cut the socket is expected
      open.push({ probe, stop });
      resolve(probe);
    });
    socket.once('error', reject);
  });
}

/** Resolves when the socket closes, or fails the test after `boundMs`: waiting for the condition, bounded. */
async function closedWithin(probe: Probe, boundMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`socket still open after ${boundMs} ms`)), boundMs);
  });
  try {
    await Promise.race([probe.closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

afterEach(() => {
  for (const { probe, stop } of open.splice(0)) {
    stop();
    probe.socket.destroy();
  }
});

describe('slow clients are cut at the configured limits', () => {
  let ctx: TestService;
  beforeAll(async () => {
    ctx = await startTestService({ httpLimits: LIMITS });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it(`${SLOW_SOCKETS} sockets sending a body a byte at a time are answered 408 and closed; other clients are served meanwhile`, async () => {
    const head = 'POST /api/calculate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n';
    const probes = await Promise.all(Array.from({ length: SLOW_SOCKETS }, () => connect(ctx.service.port)));
    for (const probe of probes) {
      probe.socket.write(head);
      probe.drip(`{"power":"${'1'.repeat(4080)}"}`); // 4096 bytes at 10 bytes/s would take 7 minutes
    }
    expect((await request(`${ctx.url}/api/health`)).status).toBe(200);
    await Promise.all(probes.map((probe) => closedWithin(probe, LIMITS.requestTimeoutMs + LIMITS.checkingIntervalMs + SLACK_MS)));
    for (const probe of probes) expect(probe.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const health = await request(`${ctx.url}/api/health`);
    const http = health.body.sources.find((source: { name: string }) => source.name === 'http');
    expect(http.rejected['request-timeout']).toBeGreaterThanOrEqual(SLOW_SOCKETS);
  });

  it('an unauthenticated write with a drip-fed body is answered 401 at once, then closed at the request timeout', async () => {
    const probe = await connect(ctx.service.port);
    probe.socket.write('POST /api/devices HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n');
    probe.drip('{'.repeat(4096));
    await closedWithin(probe, LIMITS.requestTimeoutMs + LIMITS.checkingIntervalMs + SLACK_MS);
    expect(probe.received).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
  });

  it('a socket sending its headers a byte at a time is closed at the headers timeout', async () => {
    const probe = await connect(ctx.service.port);
    probe.drip('GET /api/health HTTP/1.1\r\nHost: test\r\nX-Padding: ' + 'a'.repeat(1_000) + '\r\n\r\n');
    await closedWithin(probe, LIMITS.headersTimeoutMs + LIMITS.checkingIntervalMs + SLACK_MS);
    expect(probe.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a socket that never sends anything is closed at the headers timeout', async () => {
    const probe = await connect(ctx.service.port);
    await closedWithin(probe, LIMITS.headersTimeoutMs + LIMITS.checkingIntervalMs + SLACK_MS);
    expect(probe.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('an idle kept-alive connection is closed at the keep-alive timeout', async () => {
    const probe = await connect(ctx.service.port);
    probe.socket.write('GET /api/health HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n');
    await closedWithin(probe, LIMITS.keepAliveTimeoutMs + SLACK_MS);
    expect(probe.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});

describe('an event stream is a long response, not a slow request', () => {
  let ctx: TestService;
  beforeAll(async () => {
    ctx = await startTestService({ httpLimits: LIMITS, layers: [createDashboardLayer()] });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('outlives the request timeout and still delivers updates', async () => {
    const sse = await openSse(`${ctx.url}/api/events`);
    try {
      await sse.waitFor((event) => event.event === 'hello');
      // A drip-fed request opened after the stream is cut first: by then the stream is older than the request timeout.
      const probe = await connect(ctx.service.port);
      probe.socket.write('POST /api/calculate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n');
      probe.drip('{'.repeat(100));
      await closedWithin(probe, LIMITS.requestTimeoutMs + LIMITS.checkingIntervalMs + SLACK_MS);
      expect(probe.received).toMatch(/^HTTP\/1\.1 408 /);
      const created = await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'sse-1' } });
      expect(created.status).toBe(201);
      const update = await sse.waitFor((event) => event.event === 'update' && event.data.includes('sse-1'));
      expect(JSON.parse(update.data).rows[0].id).toBe('sse-1');
    } finally {
      sse.close();
    }
  });
});

describe('the connection cap', () => {
  let ctx: TestService;
  const CAP = 3;
  beforeAll(async () => {
    // Long timeouts here: the held sockets must stay open while the cap is tested.
    ctx = await startTestService({ httpLimits: { ...LIMITS, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, maxConnections: CAP } });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('a connection past the cap is closed at once and counted; one freed slot serves again', async () => {
    const held = await Promise.all(Array.from({ length: CAP }, () => connect(ctx.service.port)));
    const extra = await connect(ctx.service.port);
    await closedWithin(extra, SLACK_MS);
    expect(extra.received).toBe('');
    for (const probe of held) expect(probe.isClosed()).toBe(false);
    held[0]!.socket.destroy();
    await held[0]!.closed;
    // The server sees the close asynchronously: retry until the freed slot serves a request.
    const health = await waitFor('the freed slot to serve a request', () => request(`${ctx.url}/api/health`).catch(() => null), {
      timeoutMs: SLACK_MS,
      intervalMs: 50,
    });
    const http = health.body.sources.find((source: { name: string }) => source.name === 'http');
    expect(http.counters.connectionsDropped).toBeGreaterThanOrEqual(1);
  });
});

describe('the limits the service runs with', () => {
  it('are set on the server on purpose, not left at Node defaults', () => {
    const server = createHttpServer((() => {}) as unknown as Express, new HttpStats());
    expect(server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(server.maxConnections).toBe(MAX_CONNECTIONS);
    expect((server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBe(CONNECTIONS_CHECKING_INTERVAL_MS);
    expect(HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS);
    server.close();
  });
});
