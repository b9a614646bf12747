/**
 * Milliseconds of fleet work (a load or sync step, a refresh, a page scan, an overview pass) in one turn of the event
 * loop before it yields: the service allows itself no task over 10 ms (issue 11), and one unit of work past the budget
 * (a store read of a few dozen devices, about 1 000 scanned rows) stays well inside the rest. A step of a fixed number
 * of devices was 8–14 ms at 100 000 devices on a loaded 2-core machine; a time budget holds on any machine.
 */
export const FLEET_STEP_BUDGET_MS = 4;

/** Resolves after the other work waiting on the event loop (I/O callbacks, timers) has had its turn. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A time budget for one turn of the event loop: `due` says when the work done since the last yield reached it, and
 * `yield` gives the loop back and starts a new turn's budget.
 */
export class StepBudget {
  private startedMs = performance.now();

  constructor(private readonly budgetMs: number = FLEET_STEP_BUDGET_MS) {}

  get due(): boolean {
    return performance.now() - this.startedMs >= this.budgetMs;
  }

  async yield(): Promise<void> {
    await yieldToEventLoop();
    this.startedMs = performance.now();
  }

  /** Yield only when the budget is spent. */
  async yieldIfDue(): Promise<void> {
    if (this.due) await this.yield();
  }
}
