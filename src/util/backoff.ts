/**
 * Capped exponential backoff with jitter, the one retry schedule of the project (serial reopen, serial delivery
 * retries, MQTT reconnect, the fleet simulator). Pure: no timers, the random source injectable.
 *
 * The ceiling of retry `attempt` (0-based) is min(maxMs, initialMs · factor^attempt); the jitter picks the delay
 * under it (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015):
 * - `full`: uniform in [0, ceiling). Spreads a crowd of clients retrying the same server (a fleet reconnecting after a
 *   broker restart) instead of the synchronized storm a fixed period causes (MQTT.js #561).
 * - `equal`: uniform in [ceiling/2, ceiling]. For a resource only this process retries (a local serial port): no crowd
 *   to spread, and the floor keeps a retry that fails at once (ENOENT while unplugged) from spinning.
 * - `none`: the ceiling itself.
 */

export type BackoffJitter = 'full' | 'equal' | 'none';

export interface BackoffPolicy {
  /** Ceiling of the first retry, ms. */
  initialMs: number;
  /** Largest ceiling, ms. */
  maxMs: number;
  /** Growth of the ceiling per attempt (2: doubling; 1: constant). */
  factor: number;
  jitter: BackoffJitter;
}

/**
 * The exponent stops growing here so that factor^attempt stays finite (a factor of 10 reaches 1e52, far past any
 * cap): past it the ceiling is maxMs for every factor ≥ 2 and any cap a retry schedule could want.
 */
const MAX_EXPONENT = 52;

/** The delay before retry number `attempt` (0-based), whole ms. `random` is uniform in [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceilingMs = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.min(Math.max(attempt, 0), MAX_EXPONENT));
  switch (policy.jitter) {
    case 'full':
      return Math.floor(random() * ceilingMs);
    case 'equal':
      return Math.floor(ceilingMs / 2 + random() * (ceilingMs / 2));
    case 'none':
      return Math.floor(ceilingMs);
  }
}

/** The same schedule with its attempt count: each `nextDelayMs` is one more attempt, `reset` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly policy: Readonly<BackoffPolicy>,
    private readonly random: () => number = Math.random,
  ) {
    if (!(policy.initialMs >= 0) || !(policy.maxMs >= policy.initialMs) || !(policy.factor >= 1)) {
      throw new RangeError(`backoff: need 0 ≤ initialMs ≤ maxMs and factor ≥ 1, got ${JSON.stringify(policy)}`);
    }
  }

  /** The delay before the next attempt (ms); each call counts one attempt. */
  nextDelayMs(): number {
    const delayMs = backoffDelayMs(this.policy, this.attempt, this.random);
    this.attempt += 1;
    return delayMs;
  }

  /** After a success: the next delay is the first one again. */
  reset(): void {
    this.attempt = 0;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
