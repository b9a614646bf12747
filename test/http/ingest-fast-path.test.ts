/**
 * Window posts answered ahead of Express (src/http/ingest-fast-path.ts) answer exactly as the Express route does: for
 * each request, the plain path (`/api/devices/<id>/windows`, the fast path) and its trailing-slash form (Express) get
 * the same status, body and headers, and move the same counters (requests, windows, refusals by reason, last error)
 * and request metrics. Express's own entry is watched, so each comparison is known to be fast path against Express.
 */
import { connect } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowsIdOf } from '../../src/http/ingest-fast-path.js';
import { MAX_BODY_BYTES, MAX_WINDOWS_PER_REQUEST } from '../../src/http/limits.js';
import { parsePrometheusText } from '../helpers/prom-text.js';
import { RecordingLogger } from '../helpers/recording-logger.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';

/** Every request that reaches Express (`METHOD url`): the app's `handle`, wrapped before the service creates its app. */
const reachedExpress: string[] = [];
type Handle = (this: unknown, req: { method: string; url: string }, ...rest: unknown[]) => unknown;
const application = express.application as unknown as { handle: Handle };
const handle = application.handle;
application.handle = function (req, ...rest) {
  reachedExpress.push(`${req.method} ${req.url}`);
  return handle.call(this, req, ...rest);
};

let ctx: TestService;
const log = new RecordingLogger();
const DEVICE = 'fast.in';
const ENCODED_DEVICE = 'fast%2Ein';
beforeAll(async () => {
  ctx = await startTestService({ log });
  expect((await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: DEVICE } })).status).toBe(201);
});
afterAll(async () => {
  await ctx.close();
});

const T0 = Date.parse('2026-11-01T00:00:00Z');
const win = (seq: number, extra: Record<string, unknown> = {}) => ({
  seq,
  startMs: T0 + seq * 10_000,
  durationS: 10,
  energyJ: 0.02,
  sampleCount: 1000,
  minPowerW: 0.001,
  maxPowerW: 0.004,
  inferenceCount: 5,
  ...extra,
});

interface Seen {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** What a client sees of an answer, minus the headers that differ by nature (date, request id, connection). */
async function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Seen> {
  const response = await fetch(`${ctx.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const kept: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (!['date', 'x-request-id', 'connection', 'keep-alive'].includes(name)) kept.push([name, value]);
  });
  return { status: response.status, body: await response.text(), headers: Object.fromEntries(kept.sort(([a], [b]) => a.localeCompare(b))) };
}

/** The counters and metrics an ingest request moves. */
async function snapshot() {
  const health = (await request(`${ctx.url}/api/health`)).body;
  const http = health.sources.find((source: { name: string }) => source.name === 'http');
  const families = parsePrometheusText(await (await fetch(`${ctx.url}/metrics`)).text());
  const posts: Record<string, number> = {};
  for (const sample of families.get('tinyml_http_request_duration_seconds')?.samples ?? []) {
    if (sample.name.endsWith('_count') && sample.labels['method'] === 'POST') posts[`${sample.labels['route']} ${sample.labels['status']}`] = sample.value;
  }
  return { counters: http.counters, rejected: http.rejected, lastError: http.lastError, ingest: health.ingest, posts };
}

function delta(before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>) {
  const diff = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(b)
        .filter(([key, value]) => typeof value === 'number' && value !== ((a[key] as number | undefined) ?? 0))
        .map(([key, value]) => [key, (value as number) - ((a[key] as number | undefined) ?? 0)]),
    );
  return {
    counters: diff(before.counters, after.counters),
    rejected: diff(before.rejected, after.rejected),
    ingest: diff(before.ingest, after.ingest),
    ingestReasons: diff(before.ingest.rejectedByReason, after.ingest.rejectedByReason),
    lastRejection: after.ingest.lastRejection,
    posts: diff(before.posts, after.posts),
    lastError: after.lastError,
  };
}

const JSON_HEADERS = (): Record<string, string> => ({ 'content-type': 'application/json', authorization: `Bearer ${ctx.token}` });

/**
 * One request to the fast path, then its twin to Express (`expressBody`: for a stored window, another seq, so that both
 * are new, or both duplicates). Returns the fast answer; both answers and the counters they moved are equal.
 */
async function compare(
  body: string | Buffer,
  options: { expressBody?: string | Buffer; headers?: Record<string, string>; device?: string; fast?: boolean } = {},
): Promise<Seen> {
  const device = options.device ?? ENCODED_DEVICE;
  const headers = options.headers ?? JSON_HEADERS();
  const before = await snapshot();
  reachedExpress.length = 0;
  const fast = await post(`/api/devices/${device}/windows`, body, headers);
  const fastReachedExpress = reachedExpress.filter((line) => line.startsWith('POST /api/devices/'));
  const middle = await snapshot();
  reachedExpress.length = 0;
  const viaExpress = await post(`/api/devices/${device}/windows/`, options.expressBody ?? body, headers);
  expect(reachedExpress.filter((line) => line.startsWith('POST /api/devices/'))).toEqual([`POST /api/devices/${device}/windows/`]);
  const after = await snapshot();
  expect(fastReachedExpress).toEqual(options.fast === false ? [`POST /api/devices/${device}/windows`] : []);
  expect(fast).toEqual(viaExpress);
  expect(delta(before, middle)).toEqual(delta(middle, after));
  return fast;
}

const json = (value: unknown) => JSON.stringify(value);

describe('window posts ahead of Express', () => {
  it('stores a new window (201), answers its redelivery as a counted duplicate (200), as Express does', async () => {
    const stored = await compare(json(win(1)), { expressBody: json(win(2)) });
    expect(stored.status).toBe(201);
    expect(JSON.parse(stored.body)).toEqual({ inserted: 1, duplicates: 0, rejected: 0, overlaps: 0, seqResets: 0 });
    expect(stored.headers['content-type']).toBe('application/json; charset=utf-8');
    const again = await compare(json(win(1)), { expressBody: json(win(2)) });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ inserted: 0, duplicates: 1 });
    // A re-used seq with another window is stored, counted as a seq reset.
    const reset = await compare(json(win(1, { startMs: T0 + 1_000_000 })), { expressBody: json(win(2, { startMs: T0 + 2_000_000 })) });
    expect(JSON.parse(reset.body)).toMatchObject({ inserted: 1, seqResets: 1 });
    const device = (await request(`${ctx.url}/api/devices/${ENCODED_DEVICE}`)).body;
    expect(device.aggregate.windows).toBe(4);
  });

  it('stores a batch and its redelivery the same way', async () => {
    const batch = (first: number) => json({ windows: [win(first), win(first + 1)] });
    expect((await compare(batch(10), { expressBody: batch(20) })).status).toBe(201);
    expect(JSON.parse((await compare(batch(10), { expressBody: batch(20) })).body)).toMatchObject({ inserted: 0, duplicates: 2 });
  });

  it('takes the JSON content types of the body parser in utf-8, and bodies the parser reads that JSON.parse alone would not', async () => {
    const utf8 = { ...JSON_HEADERS(), 'content-type': 'application/json; charset=UTF-8' };
    expect((await compare(json(win(30)), { expressBody: json(win(31)), headers: utf8 })).status).toBe(201);
    // A byte-order mark and leading whitespace: the app's body parser reads them; the fast path asks it.
    const bom = (value: unknown) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(value))]);
    expect((await compare(bom(win(32)), { expressBody: bom(win(33)) })).status).toBe(201);
    expect((await compare(` \n${json(win(34))}`, { expressBody: ` \n${json(win(35))}` })).status).toBe(201);
  });

  it.each([
    ['a negative seq', json(win(40, { seq: -1 }))],
    ['an unknown field', json(win(41, { powerW: 1 }))],
    ['a missing field', json({ seq: 42, startMs: T0, durationS: 10 })],
    ['a string for a number', json(win(43, { energyJ: '0.02' }))],
    ['minPowerW above the model limit', json(win(44, { minPowerW: 1e6 }))],
    ['an array', json([win(45)])],
    ['an empty object', '{}'],
    ['an empty batch', json({ windows: [] })],
    ['a batch with one bad window', json({ windows: [win(46), win(47, { durationS: 0 })] })],
    ['a batch over the limit', json({ windows: Array.from({ length: MAX_WINDOWS_PER_REQUEST + 1 }, (_, i) => win(1_000 + i)) })],
    ['a window before 2000 (window rules)', json(win(48, { startMs: Date.UTC(1999, 0, 1) }))],
    ['a window in the future (window rules)', json(win(49, { startMs: Date.now() + 2 * 86_400_000 }))],
    ['an average power above the bounds (window rules)', json(win(50, { energyJ: 1 }))],
    ['a window overlapping a stored one', json(win(51, { startMs: T0 + 10_000 + 5_000 }))],
    ['malformed JSON', '{"seq": 1,'],
    ['a trailing comma', '{"seq": 1, }'],
    ['JSON that is not an object', '5'],
    ['a JSON string', '"window"'],
    ['null', 'null'],
    ['an invalid UTF-8 key', Buffer.concat([Buffer.from('{"'), Buffer.from([0xff, 0xfe]), Buffer.from(`":1,${json(win(52)).slice(1)}`)])],
    ['nothing but whitespace', '   '],
  ])('refuses %s as Express does, nothing stored, counted by reason', async (_name, body) => {
    const windowsBefore = (await request(`${ctx.url}/api/devices/${ENCODED_DEVICE}`)).body.aggregate.windows;
    const answer = await compare(body);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect((await request(`${ctx.url}/api/devices/${ENCODED_DEVICE}`)).body.aggregate.windows).toBe(windowsBefore);
  });

  it('looks a device up in the store when the fleet index does not hold it (yet)', async () => {
    // Registered in the store alone: no device event, so the fleet index has not seen it.
    await ctx.service.context.store.createDevice({ id: 'store-only', spec: (await ctx.service.context.store.getDevice(DEVICE))!.spec });
    expect(ctx.service.context.fleetIndex.get('store-only')).toBeUndefined();
    expect((await compare(json(win(1)), { device: 'store-only', expressBody: json(win(2)) })).status).toBe(201);
  });

  it('answers an unknown device (404) as Express does', async () => {
    const answer = await compare(json(win(60)), { device: 'nobody' });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).detail).toBe('device "nobody" is not registered');
  });

  it('leaves every other form to Express: a refused token, another content type, a body over the limit, a compressed body', async () => {
    const token = (value: string | null) => {
      const headers = JSON_HEADERS();
      if (value === null) delete headers['authorization'];
      else headers['authorization'] = value;
      return headers;
    };
    expect((await compare(json(win(70)), { headers: token(null), fast: false })).status).toBe(401);
    expect((await compare(json(win(70)), { headers: token('Bearer nope'), fast: false })).status).toBe(401);
    const typed = (type: string) => ({ ...JSON_HEADERS(), 'content-type': type });
    expect((await compare(json(win(71)), { headers: typed('text/plain'), fast: false })).status).toBe(415);
    expect((await compare(json(win(72)), { headers: typed('application/json; charset=latin1'), fast: false })).status).toBe(415);
    expect((await compare(json(win(73)), { headers: typed('application/merge-patch+json'), fast: false, expressBody: json(win(74)) })).status).toBe(201);
    const large = json({ windows: [{ pad: 'x'.repeat(MAX_BODY_BYTES) }] });
    expect((await compare(large, { fast: false })).status).toBe(413);
    const gzip = { ...JSON_HEADERS(), 'content-encoding': 'gzip' };
    expect((await compare(json(win(75)), { headers: gzip, fast: false })).status).toBe(400);
  });

  it('counts a client that hangs up mid-body as Express does (bad-request), with the same access-log line', async () => {
    // Every health poll counts itself: the request has arrived once the count has grown by more than the polls.
    const requestsOf = async () => (await snapshot()).counters.requests as number;
    let requestsBesidesPolls: () => Promise<number>;
    const hangUp = async (path: string, reqId: string): Promise<void> => {
      const base = await requestsOf();
      let polls = 0;
      requestsBesidesPolls = async () => (await requestsOf()) - base - ++polls;
      const socket = connect(Number(new URL(ctx.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${ctx.token}\r\nx-request-id: ${reqId}\r\ncontent-length: 100\r\n\r\n{"seq":`,
      );
      await waitFor(`the request ${reqId} to arrive`, async () => ((await requestsBesidesPolls()) > 0 ? true : null));
      socket.destroy();
      await waitFor(`the access-log line of ${reqId}`, () => log.lines.find((line) => line.fields['reqId'] === reqId));
    };
    const before = await snapshot();
    await hangUp(`/api/devices/${ENCODED_DEVICE}/windows`, 'hang-up-fast');
    const middle = await snapshot();
    await hangUp(`/api/devices/${ENCODED_DEVICE}/windows/`, 'hang-up-express');
    const after = await snapshot();
    // The body parser's `request aborted` (bad-request); the server also counts the cut connection (bad-http, server.ts).
    expect(delta(before, middle).rejected).toMatchObject({ 'bad-request': 1 });
    expect(delta(before, middle)).toEqual(delta(middle, after));
    // The same access-log line, but for the id, path and duration.
    const line = (reqId: string) => {
      const { reqId: _id, url: _url, durationMs: _ms, ...fields } = log.lines.find((entry) => entry.fields['reqId'] === reqId)!.fields;
      return fields;
    };
    expect(line('hang-up-fast')).toMatchObject({ method: 'POST', status: 400 });
    expect(line('hang-up-fast')).toEqual(line('hang-up-express'));
  });

  it('takes only the plain form of the path', () => {
    expect(windowsIdOf('/api/devices/a%2Fb/windows')).toBe('a/b');
    expect(windowsIdOf('/api/devices/x/windows')).toBe('x');
    expect(windowsIdOf('/api/devices//windows')).toBeNull();
    expect(windowsIdOf('/api/devices/a/b/windows')).toBeNull();
    expect(windowsIdOf('/api/devices/x/windows/')).toBeNull();
    expect(windowsIdOf('/api/devices/x/windows?x=1')).toBeNull();
    expect(windowsIdOf('/api/devices/%E0%A4%A/windows')).toBeNull();
    expect(windowsIdOf('/api/devices/x/footprint')).toBeNull();
    expect(windowsIdOf('/API/devices/x/windows')).toBeNull();
  });
});
