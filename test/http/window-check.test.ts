/**
 * The hand-written window check (src/http/window-check.ts) against the zod schemas it stands in front of: over every
 * field, each bound and each wrong type, it accepts exactly what zod accepts and returns what zod returns.
 */
import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_DURATION_S } from '../../src/domain/limits.js';
import { MAX_WINDOWS_PER_REQUEST } from '../../src/http/limits.js';
import { windowBatchSchema, windowSchema } from '../../src/http/schemas.js';
import { checkWindow, checkWindowBatch } from '../../src/http/window-check.js';
import { MAX_POWER_W } from '../../src/model/limits.js';

const BASE = { seq: 7, startMs: Date.UTC(2026, 10, 1), durationS: 10, energyJ: 0.02, sampleCount: 1000, minPowerW: 0.001, maxPowerW: 0.004, inferenceCount: 5 };
const MISSING = Symbol('missing');
const OTHER_TYPES = [null, '1', true, [], {}, [1]];
const COUNTS = [0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 60, -1, -0, 0.5, 1e-300, Infinity, -Infinity, NaN, ...OTHER_TYPES];
const POSITIVE = [0, -0, 1e-300, 0.5, 10, MAX_WINDOW_DURATION_S, MAX_WINDOW_DURATION_S + 1e-9, MAX_WINDOW_DURATION_S + 1, -1, Infinity, NaN, ...OTHER_TYPES];
const NON_NEGATIVE = [0, -0, 1e-300, 0.5, 1e12, Number.MAX_VALUE, -1e-300, -1, Infinity, -Infinity, NaN, ...OTHER_TYPES];
const POWERS = [0, -0, 1e-9, 0.5, MAX_POWER_W, MAX_POWER_W + 1e-9, MAX_POWER_W * 2, -1e-9, Infinity, NaN, null, '1', true, [], {}];

const VALUES: Record<keyof typeof BASE, readonly unknown[]> = {
  seq: COUNTS,
  startMs: COUNTS,
  durationS: POSITIVE,
  energyJ: NON_NEGATIVE,
  sampleCount: COUNTS,
  minPowerW: POWERS,
  maxPowerW: POWERS,
  inferenceCount: COUNTS,
};
const REQUIRED = new Set(['seq', 'startMs', 'durationS', 'energyJ']);

/** The base window with one field changed (or left out). */
function variants(): unknown[] {
  const out: unknown[] = [BASE, { seq: 0, startMs: 0, durationS: 1, energyJ: 0 }];
  for (const [field, values] of Object.entries(VALUES)) {
    for (const value of [...values, MISSING]) {
      const window: Record<string, unknown> = { ...BASE };
      if (value === MISSING) delete window[field];
      else window[field] = value;
      out.push(window);
    }
  }
  out.push({ ...BASE, extra: 1 }, { ...BASE, windows: [] }, JSON.parse(`{"__proto__":1,"seq":1,"startMs":1,"durationS":1,"energyJ":0}`));
  out.push({ ...BASE, minPowerW: undefined, maxPowerW: undefined, sampleCount: undefined, inferenceCount: undefined });
  out.push(null, undefined, 1, 'window', true, [], [BASE], Object.assign(Object.create(null), BASE));
  return out;
}

function expectSameAsZod(check: (value: unknown) => unknown, schema: typeof windowSchema | typeof windowBatchSchema, value: unknown): boolean {
  const zod = schema.safeParse(value);
  const fast = check(value);
  expect({ value, accepted: fast !== null }).toEqual({ value, accepted: zod.success });
  if (fast !== null) expect(fast).toEqual(zod.data);
  return fast !== null;
}

describe('the hand-written window check', () => {
  it('accepts exactly the windows zod accepts, with the same values', () => {
    let accepted = 0;
    const all = variants();
    for (const value of all) if (expectSameAsZod(checkWindow, windowSchema, value)) accepted += 1;
    // Both kinds occur: the comparison is not vacuous.
    expect(accepted).toBeGreaterThan(40);
    expect(all.length - accepted).toBeGreaterThan(100);
    for (const field of REQUIRED) expect(checkWindow({ ...BASE, [field]: undefined })).toBeNull();
  });

  it('accepts exactly the batches zod accepts', () => {
    const many = (n: number) => Array.from({ length: n }, (_, seq) => ({ ...BASE, seq }));
    const batches: unknown[] = [
      { windows: many(1) },
      { windows: many(3) },
      { windows: many(MAX_WINDOWS_PER_REQUEST) },
      { windows: many(MAX_WINDOWS_PER_REQUEST + 1) },
      { windows: [] },
      { windows: [...many(2), { ...BASE, seq: -1 }] },
      { windows: [...many(2), { ...BASE, extra: true }] },
      { windows: many(2), extra: 1 },
      { windows: {} },
      { windows: null },
      {},
      many(2),
      ...variants().map((window) => ({ windows: [window] })),
    ];
    let accepted = 0;
    for (const batch of batches) if (expectSameAsZod(checkWindowBatch, windowBatchSchema, batch)) accepted += 1;
    expect(accepted).toBeGreaterThan(40);
  });
});
