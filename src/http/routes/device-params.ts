import type { Request } from 'express';
import { ValidationError } from '../../domain/errors.js';

/** The `:id` path parameter of the device routes. */
export function deviceIdParam(req: Request): string {
  const value: unknown = req.params['id'];
  if (typeof value !== 'string') throw new ValidationError('missing device id in the path');
  return value;
}
