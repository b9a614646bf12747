/**
 * The access-log path of one request in process, without HTTP: CPU µs per request of logRequest (request id, timer,
 * the `close` listener, the duration histogram, the line and its write), through the service's logger (pinoLogger, a
 * child with `component: 'http'`, level info) writing a file as stderr would be. Requests are answered BATCH at a
 * time, then the event loop turns (so the logger's writes run as they do under load); process.cpuUsage() counts every
 * thread, so the writes on libuv's pool are in the figure. Each figure is the median of ROUNDS rounds of REQUESTS.
 * The same harness with silentLogger (histogram and ids, no line) is printed as the floor of the path.
 *
 * npx tsx bench/access-log.ts
 * AGAINST=/path/to/checkout  also that checkout's access-log.ts, pino-logger.ts and duration-histogram.ts, in this
 *   process, rounds alternating with this one's (A B B A); prints both and their ratio
 */
import { EventEmitter } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './footprint-fixtures.js';

const REQUESTS = 20_000;
/** Requests answered per event-loop turn: a busy service's turn holds a few. */
const BATCH = 20;
const ROUNDS = 7;
const AGAINST = process.env['AGAINST'];
/** Bytes the socket writes per answer (headers and a footprint's body). */
const ANSWER_BYTES = 9_300;

interface Checkout {
  logRequest: (log: unknown, observe: unknown, req: IncomingMessage, res: ServerResponse, route: string | (() => string)) => string;
  pinoLogger: (options: { level: 'info'; destination: number }) => { child(bindings: Record<string, unknown>): unknown };
  silentLogger: unknown;
  DurationHistogram: new (name: string, help: string, bounds: readonly number[]) => { observe(...args: [string, string, number, number]): void };
}

async function load(root: string): Promise<Checkout> {
  const of = async (file: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(path.join(root, file)).href)) as Record<string, unknown>;
  const [access, pino, logger, histogram] = await Promise.all([
    of('src/http/access-log.ts'),
    of('src/obs/pino-logger.ts'),
    of('src/obs/logger.ts'),
    of('src/obs/duration-histogram.ts'),
  ]);
  return {
    logRequest: access['logRequest'] as Checkout['logRequest'],
    pinoLogger: pino['pinoLogger'] as Checkout['pinoLogger'],
    silentLogger: logger['silentLogger'],
    DurationHistogram: histogram['DurationHistogram'] as Checkout['DurationHistogram'],
  };
}

const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ours = await load(here);
const theirs = AGAINST === undefined ? null : await load(path.resolve(AGAINST));
const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-access-log-bench-'));
const BOUNDS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One checkout's path, with its own log file and histogram. */
function harness(checkout: Checkout, name: string, silent: boolean): { run: () => Promise<number>; file: string; close: () => void } {
  const file = path.join(dir, name);
  const fd = openSync(file, 'w');
  const log = silent ? checkout.silentLogger : checkout.pinoLogger({ level: 'info', destination: fd }).child({ component: 'http' });
  const histogram = new checkout.DurationHistogram('http_request_duration_seconds', 'bench', BOUNDS_S);
  const observe = (method: string, route: string, status: number, seconds: number): void => histogram.observe(method, route, status, seconds);
  const socket = { bytesWritten: 0, remoteAddress: '127.0.0.1' };
  let id = 0;
  const one = (): void => {
    id += 1;
    const req = { headers: {}, method: 'GET', url: `/api/devices/bench-${id % 1000}/footprint`, socket } as unknown as IncomingMessage;
    const res = new EventEmitter() as EventEmitter & { statusCode: number; writableFinished: boolean; setHeader(name: string, value: string): void };
    res.statusCode = 200;
    res.writableFinished = false;
    res.setHeader = () => {};
    checkout.logRequest(log, observe, req, res as unknown as ServerResponse, '/api/devices/:id/footprint');
    socket.bytesWritten += ANSWER_BYTES;
    res.writableFinished = true;
    res.emit('close');
  };
  const run = async (): Promise<number> => {
    const start = process.cpuUsage();
    for (let done = 0; done < REQUESTS; done += BATCH) {
      for (let index = 0; index < BATCH; index += 1) one();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / REQUESTS;
  };
  return { run, file, close: () => closeSync(fd) };
}

async function compare(label: string, silent: boolean): Promise<void> {
  const a = harness(ours, `this-${label}`, silent);
  if (theirs === null) {
    await a.run();
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) times.push(await a.run());
    process.stdout.write(`${label.padEnd(34)} ${median(times).toFixed(2).padStart(6)} µs CPU per request\n`);
    return;
  }
  const b = harness(theirs, `against-${label}`, silent);
  await b.run();
  await a.run();
  const times = { ours: [] as number[], theirs: [] as number[] };
  for (let round = 0; round < ROUNDS; round += 1) {
    times.theirs.push(await b.run());
    times.ours.push(await a.run());
    times.ours.push(await a.run());
    times.theirs.push(await b.run());
  }
  const [against, mine] = [median(times.theirs), median(times.ours)];
  process.stdout.write(
    `${label.padEnd(34)} against ${against.toFixed(2).padStart(6)}  this ${mine.toFixed(2).padStart(6)} µs CPU per request, this/against ${(mine / against).toFixed(2)}\n`,
  );
}

process.stdout.write(
  `access log: median of ${theirs === null ? ROUNDS : 2 * ROUNDS} rounds of ${REQUESTS} requests, ${BATCH} per event-loop turn` +
    `${AGAINST === undefined ? '' : `, A B B A against ${AGAINST}`}; load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
);
await compare('access line to a file (info)', false);
await compare('silent logger (ids, timer, metric)', true);
// Let the last writes land, then say how much was logged (a bench that logged nothing would be fast).
await new Promise((resolve) => setTimeout(resolve, 300));
process.stdout.write(`log bytes written: ${statSync(path.join(dir, 'this-access line to a file (info)')).size}\n`);
rmSync(dir, { recursive: true, force: true });
