import type { PowerPoint } from './live-types.js';

/**
 * Append points to a list capped at `max`, dropping the oldest. Returns how many were dropped.
 * Mutates `target` in place: callers own the list.
 */
export function appendBounded(target: PowerPoint[], points: readonly PowerPoint[], max: number): number {
  for (const point of points) target.push(point);
  const excess = target.length - max;
  if (excess <= 0) return 0;
  target.splice(0, excess);
  return excess;
}
