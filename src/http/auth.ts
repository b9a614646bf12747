import { hash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './problem.js';

/** SHA-256 of the text: equal-length values for the constant-time compare, whatever the lengths given. One-shot (half of createHash's cost). */
function digest(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/** What an `Authorization` header says about the token: it is the one, it is missing (or not a bearer), or it is wrong. */
export type BearerVerdict = 'ok' | 'missing' | 'invalid';

/** The check of `Authorization: Bearer <token>` headers against `token`, in constant time. */
export function bearerCheck(token: string): (header: string | undefined) => BearerVerdict {
  const expected = digest(token);
  return (header) => {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (match === null) return 'missing';
    return timingSafeEqual(digest(match[1]!.trim()), expected) ? 'ok' : 'invalid';
  };
}

/** Write endpoints require `Authorization: Bearer <token>`; compared in constant time. */
export function requireBearer(token: string): RequestHandler {
  const check = bearerCheck(token);
  return (req, res, next) => {
    const verdict = check(req.get('authorization'));
    if (verdict !== 'ok') {
      res.set('WWW-Authenticate', 'Bearer realm="tinyml-footprint"');
      next(new HttpError(401, 'unauthorized', verdict === 'missing' ? 'missing bearer token (Authorization: Bearer <token>)' : 'invalid bearer token'));
      return;
    }
    next();
  };
}
