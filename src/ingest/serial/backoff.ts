/**
 * Capped exponential backoff with equal jitter (so ports that failed together do not all retry in step): the delay is
 * uniform in [cap/2, cap]. Not full jitter ([0, cap], as the MQTT reader uses): a serial port is a local device that
 * only this process opens, so there is no crowd to spread out, and the cap/2 floor keeps a port that fails at once
 * (ENOENT while unplugged) from being reopened in a tight loop.
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/** 250 ms first retry (a replugged board enumerates in ~0.5–1 s), doubling, capped at 10 s so a replug is noticed quickly. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ initialMs: 250, maxMs: 10_000, factor: 2 });

/** Delay before retry number `attempt` (0-based): uniform in [cap/2, cap] where cap = min(max, initial·factor^attempt). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const capMs = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.min(attempt, 30));
  return capMs / 2 + random() * (capMs / 2);
}
