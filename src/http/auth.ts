import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './problem.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Write endpoints require `Authorization: Bearer <token>`; compared in constant time. */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match === null || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="tinyml-footprint"');
      next(new HttpError(401, 'unauthorized', match === null ? 'missing bearer token (Authorization: Bearer <token>)' : 'invalid bearer token'));
      return;
    }
    next();
  };
}
