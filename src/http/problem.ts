import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ConflictError, NotFoundError, StoreClosedError, ValidationError } from '../domain/errors.js';
import { BatcherClosedError, OverloadError } from '../ingest/micro-batcher.js';
import { errorFields, type Logger } from '../obs/logger.js';
import { requestLog } from './access-log.js';
import type { HttpRejectReason, HttpStats } from './http-stats.js';

/** Seconds a client is asked to wait (Retry-After) when ingest's commit queue is full: a few commits' worth. */
export const OVERLOAD_RETRY_AFTER_S = 1;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: readonly string[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: HttpRejectReason,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const PROBLEM_BASE = 'https://tinyml-footprint.dev/problems/';

export function toProblem(error: unknown): { problem: Problem; reason: HttpRejectReason; isServerError: boolean } {
  const make = (status: number, reason: HttpRejectReason, title: string, detail: string, errors?: readonly string[]) => ({
    problem: { type: `${PROBLEM_BASE}${reason}`, title, status, detail, ...(errors && errors.length > 0 ? { errors } : {}) },
    reason,
    // Only unexpected failures are logged with their stack: a deliberate 503 (too many streams, shutting down) is not.
    isServerError: status === 500,
  });
  if (error instanceof ValidationError) return make(400, 'validation', 'Invalid input', error.message, error.details);
  if (error instanceof NotFoundError) return make(404, 'not-found', 'Not found', error.message);
  if (error instanceof ConflictError) return make(409, 'conflict', 'Conflict', error.message);
  if (error instanceof HttpError) return make(error.status, error.reason, error.reason.replace(/-/g, ' '), error.message);
  if (error instanceof StoreClosedError || error instanceof BatcherClosedError)
    return make(503, 'unavailable', 'Service unavailable', 'the service is shutting down');
  if (error instanceof OverloadError) return make(503, 'overloaded', 'Service overloaded', `${error.message}: nothing stored, retry later`);
  // body-parser errors carry `type` and `status`
  const bodyError = error as { type?: string; status?: number; message?: string; limit?: number };
  if (bodyError.type === 'entity.too.large') return make(413, 'too-large', 'Body too large', `request body exceeds ${bodyError.limit ?? ''} bytes`);
  if (bodyError.type === 'entity.parse.failed') return make(400, 'malformed-json', 'Malformed JSON', `the body is not valid JSON: ${bodyError.message ?? ''}`);
  if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported')
    return make(415, 'unsupported-encoding', 'Unsupported encoding', bodyError.message ?? '');
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    return make(bodyError.status, 'bad-request', 'Bad request', bodyError.message ?? 'bad request');
  }
  return make(500, 'internal', 'Internal error', 'an unexpected error occurred; it has been logged');
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function sendProblem(res: Parameters<RequestHandler>[1], problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/**
 * The problem middleware's answer outside Express (the fast path, fast-path.ts), byte for byte: the same status,
 * headers and body, counted and logged as problemMiddleware does. `log` is the request's logger.
 */
export function writeProblem(res: ServerResponse, stats: HttpStats, log: Logger, error: unknown): void {
  const { problem, reason, isServerError } = toProblem(error);
  stats.reject(reason, problem.detail);
  if (isServerError) log.error('internal error', errorFields(error));
  const body = JSON.stringify(problem);
  res.writeHead(problem.status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    ...(reason === 'overloaded' ? { 'retry-after': String(OVERLOAD_RETRY_AFTER_S) } : {}),
  });
  res.end(body);
}

/** The one error middleware: every failure becomes application/problem+json with a reason, and is counted. */
export function problemMiddleware(stats: HttpStats, log: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { problem, reason, isServerError } = toProblem(error);
    stats.reject(reason, problem.detail);
    if (isServerError) requestLog(res, log).error('internal error', errorFields(error));
    if (reason === 'overloaded') res.set('Retry-After', String(OVERLOAD_RETRY_AFTER_S));
    sendProblem(res, problem);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not-found', `no route ${req.method} ${req.path}`));
};
