/**
 * Which write failures refuse the points themselves (so retrying the same points can never succeed), and why, as a
 * closed list. InfluxDB 1.x answers 400 for a point it will not take, and takes the others of the request ("partial
 * write: points beyond retention policy dropped=3", "partial write: field type conflict: … dropped=1"; an unparsable
 * point: "unable to parse"). Any other refusal (401/403 credentials, 404 database, 413 too large) is about the request
 * or the setup, not a point: retried like an outage, counted `writeErrorsRejected`, for an operator to fix. So is a 400
 * this list does not know, among them InfluxDB's server limits ("partial write: max-values-per-tag limit exceeded",
 * "max-series-per-database limit exceeded"): the same points are taken once the limit is raised, so they wait in the
 * outbox rather than become dead letters.
 */
import { StoreRejectedError } from '../../domain/errors.js';

export const OUTBOX_REFUSAL_REASONS = ['beyond_retention', 'type_conflict', 'unparsable'] as const;
export type OutboxRefusalReason = (typeof OUTBOX_REFUSAL_REASONS)[number];

/** HTTP status of a refusal of the points sent (InfluxDB /write: "bad request"). */
const POINT_REFUSAL_STATUS = 400;

export interface PointRefusal {
  reason: OutboxRefusalReason;
  /** How many points of the request the target says it dropped, when it says so (`dropped=N`). */
  dropped: number | null;
  detail: string;
}

/** What each reason's refusal says (InfluxDB 1.x's wording; 2.x/3.x v1 endpoints answer the same for these). */
const REFUSAL_PATTERNS: readonly (readonly [OutboxRefusalReason, RegExp])[] = [
  ['beyond_retention', /beyond retention policy/i],
  ['type_conflict', /field type conflict/i],
  ['unparsable', /unable to parse/i],
];

/** The refusal of points in `error`, or null when it is not one (transient, about the request or the setup, or a 400 of unknown cause). */
export function pointRefusal(error: unknown): PointRefusal | null {
  if (!(error instanceof StoreRejectedError) || error.status !== POINT_REFUSAL_STATUS) return null;
  const message = error.message;
  const reason = REFUSAL_PATTERNS.find(([, pattern]) => pattern.test(message))?.[0];
  if (reason === undefined) return null;
  const dropped = /dropped=(\d+)/.exec(message);
  return { reason, dropped: dropped === null ? null : Number(dropped[1]), detail: message };
}
