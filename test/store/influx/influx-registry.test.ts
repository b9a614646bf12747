/** The registry entry's key as its point timestamp encodes it: what `InfluxRegistry.winners` reads back from `last()`. */
import { describe, expect, it } from 'vitest';
import { compareKeys, entryKeyOf, keyOfTimestamp, tieBreakOf } from '../../../src/store/influx/influx-registry.js';
import type { Device } from '../../../src/domain/types.js';

describe('keyOfTimestamp', () => {
  it('gives back the key the write stamped (updatedAt · 10⁶ + tie-break ns), beyond 2⁵³ ns', () => {
    for (const [updatedAt, instance] of [
      ['2026-12-02T10:00:00.000Z', 'host-a'],
      ['2026-12-02T10:00:00.001Z', 'host-b'],
      ['2262-01-01T00:00:00.999Z', 'host-c'],
    ] as const) {
      const key = entryKeyOf({ updatedAt } as Device, instance);
      const timestampNs = BigInt(key.updatedAtMs) * 1_000_000n + BigInt(key.tieBreak);
      expect(timestampNs > 2n ** 53n).toBe(true);
      expect(keyOfTimestamp(timestampNs)).toEqual(key);
      expect(key.tieBreak).toBe(tieBreakOf(instance));
    }
  });

  it('before 1970 too: the tie-break stays in [0, 10⁶)', () => {
    expect(keyOfTimestamp(-1_000_000n + 5n)).toEqual({ updatedAtMs: -1, tieBreak: 5 });
    expect(keyOfTimestamp(-1n)).toEqual({ updatedAtMs: -1, tieBreak: 999_999 });
    expect(keyOfTimestamp(-2_000_000n)).toEqual({ updatedAtMs: -2, tieBreak: 0 });
  });

  it('orders as the conflict rule does: updatedAt first, then the tie-break', () => {
    const at = BigInt(Date.parse('2026-12-02T10:00:00.000Z')) * 1_000_000n;
    expect(compareKeys(keyOfTimestamp(at + 999_999n), keyOfTimestamp(at + 1_000_000n))).toBe(-1);
    expect(compareKeys(keyOfTimestamp(at + 7n), keyOfTimestamp(at + 3n))).toBe(1);
  });
});
