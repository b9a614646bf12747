/**
 * HTTP ingest (`POST /api/devices/:id/windows`) answered ahead of Express, as the hot GETs are (fast-path.ts): a device
 * posting a window every few seconds is the service's most frequent write, and Express's stack (a dozen middleware
 * layers, body-parser's type and charset parsing, the router, the response helpers) cost more CPU than the window's
 * own validation and commit. Here a request pays a path and header test, the token check, the body read and one
 * `JSON.parse`, the hand-written window check (zod only for a body it does not take), and the commit: the same
 * `ingestWindows` as the Express route, so the 201 still follows the commit of its own window, a redelivery is still a
 * counted duplicate and every refusal keeps its reason.
 *
 * Only the plain form is taken: POST, the exact path without a query, a JSON content type (utf-8), a Content-Length
 * within MAX_BODY_BYTES, no Content-Encoding or Transfer-Encoding, and the right token. Anything else — a missing or
 * wrong token, a chunked or compressed body, a trailing slash, another letter case — goes to Express unchanged, which
 * answers it as it always has. A body that is not a JSON object or array as it stands (malformed, a BOM, leading
 * whitespace) is given to the app's own body-parser, whose value or error is then used: its messages stay its own.
 * test/http/ingest-fast-path.test.ts compares every answer with Express's for the same request.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../obs/logger.js';
import { logRequest, type ObserveRequest } from './access-log.js';
import type { BearerVerdict } from './auth.js';
import { MAX_BODY_BYTES } from './limits.js';
import { writeProblem } from './problem.js';
import { ingestWindows, type WindowsIngestDeps } from './routes/device-windows.js';

const WINDOWS_PREFIX = '/api/devices/';
const WINDOWS_SUFFIX = '/windows';
/** The route template of the request metric, as Express's access log names it. */
export const WINDOWS_METRIC_ROUTE = '/api/devices/:id/windows';
/** Express's access log names a request refused before any route matched (the body parser's 400) `other`. */
const BEFORE_ROUTE_METRIC_ROUTE = 'other';
/** The content types taken here (lower-cased): JSON in the body-parser's default charset, utf-8. */
const JSON_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** A Content-Length as Node's parser lets it through: decimal digits. */
const DECIMAL_LENGTH = /^\d{1,9}$/;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

export interface IngestFastPathDeps extends WindowsIngestDeps {
  /** The HTTP component's logger (access-log lines, internal errors). */
  log: Logger;
  observe: ObserveRequest;
  /** The same token check as the Express routes (auth.ts). */
  checkBearer: (header: string | undefined) => BearerVerdict;
  /** The app's own JSON body parser (`express.json` with its limit and types), for the bodies not parsed here. */
  jsonBodyParser: RequestHandler;
}

/** The device id of `/api/devices/<id>/windows`, percent-decoded as Express decodes it; null for any other path or form. */
export function windowsIdOf(url: string): string | null {
  if (!url.startsWith(WINDOWS_PREFIX) || !url.endsWith(WINDOWS_SUFFIX)) return null;
  const raw = url.slice(WINDOWS_PREFIX.length, url.length - WINDOWS_SUFFIX.length);
  if (raw.length === 0 || raw.includes('/') || raw.includes('?') || raw.includes('#')) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null; // Express answers a malformed escape (400)
  }
}

/** The body's length when the request's headers are the plain form taken here; null when Express should answer it. */
function plainJsonLength(req: IncomingMessage): number | null {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return null;
  const type = headers['content-type'];
  if (type === undefined || !JSON_CONTENT_TYPES.has(type.toLowerCase())) return null;
  const length = headers['content-length'];
  if (length === undefined || !DECIMAL_LENGTH.test(length)) return null;
  const bytes = Number(length);
  return bytes > 0 && bytes <= MAX_BODY_BYTES ? bytes : null;
}

/** A failure to read the body, with the fields body-parser's errors carry (`status`, `type`, `message`) for toProblem. */
function readError(message: string, type?: string): Error & { status: number; type?: string } {
  return Object.assign(new Error(message), { status: 400, ...(type === undefined ? {} : { type }) });
}

/** One body being read: its chunks so far and what to call once it is complete or has failed. */
interface BodyRead {
  readonly length: number;
  readonly chunks: Buffer[];
  received: number;
  readonly onBody: (bytes: Buffer) => void;
  readonly onError: (error: Error) => void;
}

/** The read under way on a request; the listeners below are shared by every request (none is made per request). */
const BODY_READ = Symbol('body read');
type ReadingRequest = IncomingMessage & { [BODY_READ]?: BodyRead | undefined };

/** The read of this request, ended: its listeners removed (later events are ignored, as raw-body ignores them). */
function endRead(req: ReadingRequest): BodyRead | undefined {
  const read = req[BODY_READ];
  if (read === undefined) return undefined;
  req[BODY_READ] = undefined;
  req.removeListener('data', onBodyData);
  req.removeListener('end', onBodyEnd);
  req.removeListener('aborted', onBodyAborted);
  req.removeListener('error', onBodyError);
  req.removeListener('close', onBodyClose);
  return read;
}

function onBodyData(this: ReadingRequest, chunk: Buffer): void {
  const read = this[BODY_READ];
  if (read === undefined) return;
  read.chunks.push(chunk);
  read.received += chunk.length;
}

function onBodyEnd(this: ReadingRequest): void {
  const read = endRead(this);
  if (read === undefined) return;
  if (read.received !== read.length) read.onError(readError('request size did not match content length', 'request.size.invalid'));
  else read.onBody(read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks, read.received));
}

function onBodyAborted(this: ReadingRequest): void {
  endRead(this)?.onError(readError('request aborted', 'request.aborted'));
}

function onBodyError(this: ReadingRequest, error: Error): void {
  endRead(this)?.onError(readError(error.message));
}

/** Closed without an end or an abort: raw-body stops listening and answers nothing; so does this. */
function onBodyClose(this: ReadingRequest): void {
  endRead(this);
}

/**
 * Reads the body (`length` bytes, as the Content-Length said): the bytes, or the error raw-body (under body-parser)
 * would report for the same event: a client that hangs up mid-body is a 400 `request aborted`, counted as bad-request.
 */
function readBody(req: ReadingRequest, length: number, onBody: (bytes: Buffer) => void, onError: (error: Error) => void): void {
  req[BODY_READ] = { length, chunks: [], received: 0, onBody, onError };
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('aborted', onBodyAborted);
  req.on('error', onBodyError);
  req.on('close', onBodyClose);
}

/**
 * What the app's body parser makes of these bytes under this content type: the parsed value, or its error (thrown).
 * Only for the bodies not parsed here; the request it reads is a stand-in carrying the bytes, already received.
 */
function parseAsExpress(parser: RequestHandler, bytes: Buffer, contentType: string): Promise<unknown> {
  const stream = new Readable({ read: () => {} });
  stream.push(bytes);
  stream.push(null);
  // body-parser reads `headers`; on-finished takes a message with `complete` false and a readable socket as unread.
  const standIn = Object.assign(stream, {
    headers: { 'content-type': contentType, 'content-length': String(bytes.length) },
    complete: false,
    socket: { readable: true },
    body: undefined as unknown,
  });
  return new Promise((resolve, reject) => {
    parser(standIn as unknown as Request, {} as Response, (error?: unknown) => {
      if (error === undefined) resolve(standIn.body);
      else reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** The JSON value of a body: parsed here when it is an object or array as it stands, else by the app's body parser. */
async function jsonValueOf(bytes: Buffer, contentType: string, parser: RequestHandler): Promise<unknown> {
  const first = bytes[0];
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      // body-parser's message for it
    }
  }
  return parseAsExpress(parser, bytes, contentType);
}

/** Express's request listener (and the GET fast path) with plain single-window and batch ingest answered first. */
export function withIngestFastPath(next: RequestListener, deps: IngestFastPathDeps): RequestListener {
  const { stats, log, observe } = deps;
  const respond = async (res: ServerResponse, deviceId: string, bytes: Buffer, contentType: string, reqId: string, at: { route: string }): Promise<void> => {
    try {
      const raw = await jsonValueOf(bytes, contentType, deps.jsonBodyParser);
      at.route = WINDOWS_METRIC_ROUTE;
      const answer = await ingestWindows(deps, deviceId, raw ?? {});
      const body = JSON.stringify(answer.result);
      res.writeHead(answer.status, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (error) {
      writeProblem(res, stats, log.child({ reqId }), error);
    }
  };
  const answer = (req: IncomingMessage, res: ServerResponse, deviceId: string, length: number): void => {
    stats.countRequest();
    // Until the body is parsed, a refusal is the body parser's, which Express's log files under no route.
    const at = { route: BEFORE_ROUTE_METRIC_ROUTE };
    const reqId = logRequest(log, observe, req, res, () => at.route);
    const contentType = req.headers['content-type']!;
    readBody(
      req,
      length,
      (bytes) => void respond(res, deviceId, bytes, contentType, reqId, at),
      (error) => writeProblem(res, stats, log.child({ reqId }), error),
    );
  };
  return (req, res) => {
    if (req.method !== 'POST') {
      next(req, res);
      return;
    }
    const deviceId = windowsIdOf(req.url ?? '/');
    const length = deviceId === null ? null : plainJsonLength(req);
    // A refused token goes to Express, which answers 401 before it reads the body, as for every write.
    if (deviceId === null || length === null || deps.checkBearer(req.headers.authorization) !== 'ok') {
      next(req, res);
      return;
    }
    answer(req, res, deviceId, length);
  };
}
