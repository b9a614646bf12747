/** Spaces calls evenly at `ratePerS` across all callers (a token bucket of size one). */
export class RateLimiter {
  private nextSlotMs = 0;
  private readonly intervalMs: number;

  constructor(
    ratePerS: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.intervalMs = 1000 / ratePerS;
  }

  async take(): Promise<void> {
    const now = this.clock();
    const slot = Math.max(now, this.nextSlotMs);
    this.nextSlotMs = slot + this.intervalMs;
    const waitMs = slot - now;
    if (waitMs >= 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/** A counting semaphore: at most `limit` holders; `idle()` resolves when none is left. */
export class Slots {
  private held = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.held;
  }

  acquire(): Promise<void> {
    if (this.held < this.limit) {
      this.held += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(() => resolve()));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) {
      next(); // the slot passes on
      return;
    }
    this.held -= 1;
    if (this.held === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }

  idle(): Promise<void> {
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
