/** When the sync lets a re-read settle in one read (AggregatePartsOptions.expected): only where its kept fold says what the read would answer. */
import { describe, expect, it } from 'vitest';
import type { DeviceAggregate } from '../../src/domain/types.js';
import { AGGREGATE_PERIOD_MS } from '../../src/store/influx/aggregate-fold.js';
import { expectedParts, type KeptFold } from '../../src/store/shared-store.js';
import { onePart } from './period-parts.js';

const P = AGGREGATE_PERIOD_MS;

function kept(overrides: Partial<KeptFold> = {}): KeptFold {
  return { prefix: undefined, fromMs: 0, parts: [onePart(0), onePart(1)], instruments: [], suspectFromMs: null, generation: 1, ...overrides };
}

describe('expectedParts', () => {
  it('expects the kept parts of the range read, with or without their first-seen times', () => {
    expect(expectedParts(kept(), 0, false)).toEqual({ parts: [onePart(0), onePart(1)], instruments: [] });
    expect(expectedParts(kept(), P, false)).toEqual({ parts: [onePart(1)], instruments: [] });
    expect(expectedParts(kept(), P, true)).toEqual({ parts: [{ ...onePart(1), firstSeenMs: null }], instruments: [] });
  });

  it('expects nothing when the last read may have missed points (read too soon after a marker)', () => {
    expect(expectedParts(kept({ suspectFromMs: P }), P, false)).toBeUndefined();
  });

  it('expects nothing when a kept part names instruments (the kept instruments may be those of periods folded since)', () => {
    expect(expectedParts(kept({ parts: [onePart(0), { ...onePart(1), instrumentWindows: 1 }] }), P, false)).toBeUndefined();
  });

  it('expects nothing for a range the kept parts do not cover: before them, or a full read over a folded prefix', () => {
    const folded = kept({ prefix: {} as DeviceAggregate, fromMs: P, parts: [onePart(1)] });
    expect(expectedParts(folded, 0, false)).toBeUndefined();
    expect(expectedParts(kept({ fromMs: P, parts: [onePart(1)] }), 0, false)).toBeUndefined();
    expect(expectedParts(folded, P, false)).toEqual({ parts: [onePart(1)], instruments: [] });
  });
});
