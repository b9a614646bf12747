import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepBudget } from '../../src/service/fleet-step.js';

/** Milliseconds of (fake) work one unit takes: the clock moves by this much per unit, and nothing else moves it. */
const UNIT_MS = 1;
const BUDGET_MS = 4;

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Loop iterations, counted by an immediate that schedules itself: every unit of work records the count it ran in, so
 * the units that ran in one iteration's check phase (or its I/O callbacks) have the same count.
 */
function iterationCounter(): { now: () => number; stop: () => void } {
  let count = 0;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    count += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => count, stop: () => void (stopped = true) };
}

describe('StepBudget', () => {
  it('shares one budget among the pieces of work of a turn: three pieces started together run at most a budget of units per turn', async () => {
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clockMs);
    const iterations = iterationCounter();
    const unitsPerIteration = new Map<number, number>();
    const piece = async (units: number): Promise<number> => {
      const budget = new StepBudget(BUDGET_MS);
      for (let i = 0; i < units; i += 1) {
        if (i > 0) await budget.yieldIfDue();
        clockMs += UNIT_MS;
        const at = iterations.now();
        unitsPerIteration.set(at, (unitsPerIteration.get(at) ?? 0) + 1);
      }
      return units;
    };
    const done = await Promise.all([piece(40), piece(40), piece(40)]);
    iterations.stop();
    expect(done).toEqual([40, 40, 40]);
    // A piece checks the budget before each unit but its first, so a turn holds the budget's units and at most one more
    // per piece that began in it; the pieces that yielded come back one per turn. Each piece taking its own budget, as
    // before, put 3 × 4 units in the turn where all three came back.
    const busiest = Math.max(...unitsPerIteration.values());
    expect(busiest).toBeLessThanOrEqual(BUDGET_MS / UNIT_MS + 2);
    expect([...unitsPerIteration.values()].reduce((a, b) => a + b, 0)).toBe(120);
  });

  it('resumes the pieces that yielded in the order they yielded, each once its turn comes', async () => {
    let clockMs = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clockMs);
    const order: string[] = [];
    const piece = async (name: string): Promise<void> => {
      const budget = new StepBudget(BUDGET_MS);
      for (let i = 0; i < 3; i += 1) {
        if (i > 0) await budget.yield();
        clockMs += UNIT_MS;
        order.push(`${name}${i}`);
      }
    };
    await Promise.all([piece('a'), piece('b'), piece('c')]);
    expect(order).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
  });

  it('is never due with an infinite budget and always due with none', () => {
    expect(new StepBudget(Infinity).due).toBe(false);
    expect(new StepBudget(0).due).toBe(true);
  });
});
