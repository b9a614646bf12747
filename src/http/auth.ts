import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './problem.js';

/** What an `Authorization` header says about the token: it is the one, it is missing (or not a bearer), or it is wrong. */
export type BearerVerdict = 'ok' | 'missing' | 'invalid';

/**
 * The check of `Authorization: Bearer <token>` headers against `token`, in constant time: a token of the right length
 * is compared byte for byte with timingSafeEqual; one of another length compares the token with itself, the same
 * work, so the time taken tells neither the token's bytes nor its length. (A SHA-256 of each given token did the same
 * at ~5 µs a request, more than the rest of the check.)
 */
export function bearerCheck(token: string): (header: string | undefined) => BearerVerdict {
  const expected = Buffer.from(token, 'utf8');
  return (header) => {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (match === null) return 'missing';
    const given = Buffer.from(match[1]!.trim(), 'utf8');
    const same = given.length === expected.length ? timingSafeEqual(given, expected) : !timingSafeEqual(expected, expected);
    return same ? 'ok' : 'invalid';
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
