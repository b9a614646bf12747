import type { z } from 'zod';
import { ValidationError } from '../domain/errors.js';

/** Parse with a zod schema; on failure throw a ValidationError listing each issue as `path: message`. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : `(${what})`}: ${issue.message}`);
  throw new ValidationError(`invalid ${what}`, details);
}
