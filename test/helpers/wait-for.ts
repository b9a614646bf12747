/** The one polling helper of the tests: wait for a condition, never for a fixed time. */

/**
 * How long a wait lasts before it fails, unless the caller says otherwise (ms): what the MQTT integration tests needed
 * on a busy 2-core machine. A unit test's own 5 s timeout comes first; pass a shorter one there for a clearer failure.
 */
export const WAIT_TIMEOUT_MS = 30_000;
/** Time between two checks once a wait has lasted a while (ms): short next to any wait, long enough that a check costs nothing. */
export const WAIT_INTERVAL_MS = 20;
/**
 * The first pause (ms); each next one doubles up to the interval. Most in-process conditions hold within a few ms, and a
 * flat 20 ms poll spent ~10–20 ms past each of them (75 waits in the unit files); a long wait still polls every 20 ms.
 */
export const WAIT_FIRST_INTERVAL_MS = 1;

export interface WaitOptions {
  timeoutMs?: number;
  /** The longest pause between two checks (ms); the pauses ramp up to it from WAIT_FIRST_INTERVAL_MS. */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a truthy value, and resolves with that value; fails after `timeoutMs` with `what`
 * and the last value seen. `check` may be async (a request, a database read).
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? WAIT_TIMEOUT_MS);
  const maxIntervalMs = options.intervalMs ?? WAIT_INTERVAL_MS;
  let intervalMs = Math.min(WAIT_FIRST_INTERVAL_MS, maxIntervalMs);
  for (;;) {
    const last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last value ${describe(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    intervalMs = Math.min(intervalMs * 2, maxIntervalMs);
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
