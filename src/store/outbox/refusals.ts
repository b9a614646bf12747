/**
 * Which write failures refuse the points themselves (so retrying the same points can never succeed), and why, as a
 * closed list. InfluxDB 1.x answers 400 for a point it will not take, and takes the others of the request ("partial
 * write: points beyond retention policy dropped=3", "partial write: field type conflict: … dropped=1"; an unparsable
 * point: "unable to parse"). Any other refusal (401/403 credentials, 404 database, 413 too large) is about the request
 * or the setup, not a point: retried like an outage, counted `writeErrorsRejected`, for an operator to fix.
 */
import { StoreRejectedError } from '../../domain/errors.js';

export const OUTBOX_REFUSAL_REASONS = ['beyond_retention', 'type_conflict', 'unparsable', 'refused'] as const;
export type OutboxRefusalReason = (typeof OUTBOX_REFUSAL_REASONS)[number];

/** HTTP status of a refusal of the points sent (InfluxDB /write: "bad request"). */
const POINT_REFUSAL_STATUS = 400;

export interface PointRefusal {
  reason: OutboxRefusalReason;
  /** How many points of the request the target says it dropped, when it says so (`dropped=N`). */
  dropped: number | null;
  detail: string;
}

/** The refusal of points in `error`, or null when it is not one (transient, or about the request or the setup). */
export function pointRefusal(error: unknown): PointRefusal | null {
  if (!(error instanceof StoreRejectedError) || error.status !== POINT_REFUSAL_STATUS) return null;
  const message = error.message;
  const dropped = /dropped=(\d+)/.exec(message);
  const reason: OutboxRefusalReason = /beyond retention policy/i.test(message)
    ? 'beyond_retention'
    : /field type conflict/i.test(message)
      ? 'type_conflict'
      : /unable to parse/i.test(message)
        ? 'unparsable'
        : 'refused';
  return { reason, dropped: dropped === null ? null : Number(dropped[1]), detail: message };
}
