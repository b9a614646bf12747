/**
 * Capped exponential backoff with full jitter (AWS architecture blog "Exponential Backoff and Jitter"):
 * delay = random(0, min(cap, base × 2^attempt)). Full jitter spreads a fleet's reconnects after a broker restart
 * instead of the synchronized storm a fixed `reconnectPeriod` causes (MQTT.js #561).
 */

/** First retry ceiling (ms): quick recovery from a blip. */
export const DEFAULT_BACKOFF_BASE_MS = 250;
/** Longest wait between attempts (ms): a restarted broker is found within 30 s. */
export const DEFAULT_BACKOFF_CAP_MS = 30_000;

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** Uniform [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.capMs = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt (ms); each call counts one attempt. */
  nextDelayMs(): number {
    // 2^attempt overflows nothing below 2^31 because the cap is reached long before (attempt ≤ 40 is plenty).
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 40));
    this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  /** After a successful connection. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
