/** The MQTT reader's reconnect backoff: exponential to a cap, full jitter. */
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/util/backoff.js';

describe('Backoff', () => {
  it('grows exponentially to the cap with full jitter, and resets', () => {
    const ceilings = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 'full' }, () => 0.999_999);
    expect(Array.from({ length: 6 }, () => ceilings.nextDelayMs())).toEqual([99, 199, 399, 799, 999, 999]);
    ceilings.reset();
    expect(ceilings.nextDelayMs()).toBe(99);
    const floor = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 'full' }, () => 0);
    expect(floor.nextDelayMs()).toBe(0);
  });
});
