import { describe, expect, it } from 'vitest';
import { setBounded } from '../../src/util/bounded-map.js';

describe('setBounded', () => {
  it('keeps at most maxEntries, drops the oldest first, and makes a key set again the newest', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c'].entries()) setBounded(map, key, i, 3);
    setBounded(map, 'a', 10, 3); // a again: the newest, nothing dropped
    expect([...map]).toEqual([
      ['b', 1],
      ['c', 2],
      ['a', 10],
    ]);
    setBounded(map, 'd', 3, 3); // one past the bound: b, the oldest, goes
    expect([...map.keys()]).toEqual(['c', 'a', 'd']);
  });
});
