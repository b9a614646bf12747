import type { z } from 'zod';
import { ValidationError } from '../domain/errors.js';

type Issue = z.core.$ZodIssue;

/** A union branch that failed only because the value is another type (`expected string, received object`). */
function isTypeMismatch(branch: readonly Issue[]): boolean {
  return branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0;
}

/**
 * `system` is a preset id or an object: when the value has the type of exactly one branch, that branch's issues are the
 * reasons (`system.blocks.x: unknown block "x"`), not the union's bare "Invalid input".
 */
function explain(issues: readonly Issue[], prefix: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const candidates = issue.errors.filter((branch) => !isTypeMismatch(branch));
      if (candidates.length === 1) return explain(candidates[0]!, path);
    }
    return [`${path.length > 0 ? path.map(String).join('.') : ''}: ${issue.message}`];
  });
}

/** Parse with a zod schema; on failure throw a ValidationError listing each issue as `path: message`. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = explain(result.error.issues, []).map((line) => (line.startsWith(': ') ? `(${what})${line}` : line));
  throw new ValidationError(`invalid ${what}`, details);
}
