/**
 * SIGTERM under load: `serve` in its own process, 24 keep-alive clients posting windows and reading footprints as
 * fast as it answers, and one upload drip-fed across the signal. Every request the service accepted is answered;
 * none is reset; every window it acknowledged is in the store after it exited; the clients end on a refused connect.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countStoredWindows, startServe, type ServeProcess } from '../ingest/mqtt/processes.js';
import { waitFor } from '../helpers/wait-for.js';

const TOKEN = 'test-token';
const CLIENTS = 24;
/** Requests answered before the signal: the load is on when it comes. */
const REQUESTS_BEFORE_SIGNAL = 400;
const T0 = Date.parse('2026-11-01T00:00:00Z');

type Outcome = { kind: 'answered'; status: number } | { kind: 'refused' } | { kind: 'reset'; code: string };

function send(
  agent: http.Agent,
  url: URL,
  method: string,
  pathname: string,
  body?: string,
  drip?: { chunks: number; intervalMs: number; written?: { chunks: number } },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path: pathname,
        headers: body === undefined ? {} : { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve({ kind: 'answered', status: response.statusCode ?? 0 }));
        response.once('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'reset', code: error.code ?? error.message }));
      },
    );
    request.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'reset', code: error.code ?? error.message }),
    );
    if (body === undefined) request.end();
    else if (drip === undefined) request.end(body);
    else {
      const size = Math.ceil(body.length / drip.chunks);
      let offset = 0;
      const timer = setInterval(() => {
        request.write(body.slice(offset, offset + size));
        offset += size;
        if (drip.written !== undefined) drip.written.chunks += 1;
        if (offset >= body.length) {
          clearInterval(timer);
          request.end();
        }
      }, drip.intervalMs);
    }
  });
}

/** Windows in the upload drip-fed across the signal (about 70 KiB of JSON). */
const UPLOAD_WINDOWS = 600;
/** Chunks of the 30-chunk upload written before the signal: it has started and most of it is still to come. */
const UPLOAD_CHUNKS_BEFORE_SIGNAL = 5;
const windowOf = (seq: number) => ({ seq, startMs: T0 + seq * 10_000, durationS: 10, energyJ: 0.2, sampleCount: 1000, minPowerW: 0.01, maxPowerW: 0.04 });
const windowJson = (seq: number) => JSON.stringify(windowOf(seq));

describe('SIGTERM drains in-flight requests', () => {
  let serve: ServeProcess | null = null;
  let dataDir = '';
  afterEach(async () => {
    await serve?.kill('SIGKILL');
    serve = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('under load: nothing reset, every acknowledged window stored, clients end refused; an upload across the signal is answered', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-sigterm-'));
    serve = await startServe(dataDir, ['--mqtt-port', '0']);
    const url = new URL(serve.httpUrl);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 1 });
    expect(await send(agent, url, 'POST', '/api/devices', JSON.stringify({ id: 'upload' }))).toEqual({ kind: 'answered', status: 201 });
    for (let client = 0; client < CLIENTS; client += 1) {
      const created = await send(agent, url, 'POST', '/api/devices', JSON.stringify({ id: `load-${client}` }));
      expect(created).toEqual({ kind: 'answered', status: 201 });
    }

    let answered = 0;
    let windowsAcknowledged = 0;
    const resets: string[] = [];
    const otherStatuses: number[] = [];
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let seq = 0; ; seq += 1) {
        const ingest = seq % 2 === 0;
        const outcome = ingest
          ? await send(agent, url, 'POST', `/api/devices/load-${client}/windows`, windowJson(seq))
          : await send(agent, url, 'GET', `/api/devices/load-${client}/footprint`);
        if (outcome.kind === 'refused') return;
        if (outcome.kind === 'reset') {
          resets.push(outcome.code);
          return;
        }
        answered += 1;
        if (outcome.status === 201 && ingest) windowsAcknowledged += 1;
        else if (outcome.status !== 200) otherStatuses.push(outcome.status);
      }
    });
    await waitFor('load before the signal', () => answered >= REQUESTS_BEFORE_SIGNAL || resets.length > 0, { timeoutMs: 60_000 });

    // A batch drip-fed over ~1.5 s on its own connection: it is in flight when the signal comes.
    const uploadAgent = new http.Agent({ keepAlive: false });
    const batch = JSON.stringify({ windows: Array.from({ length: UPLOAD_WINDOWS }, (_, seq) => windowOf(seq)) });
    const uploadWritten = { chunks: 0 };
    const upload = send(uploadAgent, url, 'POST', '/api/devices/upload/windows', batch, { chunks: 30, intervalMs: 50, written: uploadWritten });
    // The signal comes once the upload is under way (its first chunks written, most still to come).
    await waitFor('the upload to be in flight', () => uploadWritten.chunks >= UPLOAD_CHUNKS_BEFORE_SIGNAL, { timeoutMs: 60_000 });
    const answeredAtSignal = answered;
    serve.child.kill('SIGTERM');

    await Promise.all(clients);
    const uploaded = await upload;
    expect(await serve.exited).toBe('0');
    agent.destroy();

    expect(resets).toEqual([]);
    expect(otherStatuses).toEqual([]);
    expect(uploaded).toEqual({ kind: 'answered', status: 201 });
    expect(answered).toBeGreaterThan(answeredAtSignal); // requests were answered during the drain
    expect(countStoredWindows(dataDir)).toBe(windowsAcknowledged + UPLOAD_WINDOWS);
    expect(serve.output()).toMatch(/"msg":"http: drained"/);
  }, 120_000);
});
