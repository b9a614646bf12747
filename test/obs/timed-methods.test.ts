import { describe, expect, it } from 'vitest';
import { timeMethods } from '../../src/obs/timed-methods.js';

class Thing {
  readonly kind = 'thing';
  #secret = 41;
  sync(): number {
    return ++this.#secret;
  }
  async later(value: number): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    return value * 2;
  }
  fails(): never {
    throw new Error('sync failure');
  }
  async rejects(): Promise<never> {
    throw new Error('async failure');
  }
}

describe('timeMethods', () => {
  it('reports each call with its outcome, to the settling of a promise, and keeps `this` (private fields) and properties', async () => {
    const calls: [string, number, boolean][] = [];
    const thing = timeMethods(new Thing(), (method, seconds, ok) => calls.push([method, seconds, ok]));
    expect(thing.kind).toBe('thing');
    expect(thing.sync()).toBe(42);
    expect(await thing.later(21)).toBe(42);
    expect(() => thing.fails()).toThrow('sync failure');
    await expect(thing.rejects()).rejects.toThrow('async failure');
    expect(calls.map(([method, , ok]) => [method, ok])).toEqual([
      ['sync', true],
      ['later', true],
      ['fails', false],
      ['rejects', false],
    ]);
    expect(calls.every(([, seconds]) => seconds >= 0 && seconds < 5)).toBe(true);
    expect(thing.sync).toBe(thing.sync); // one wrapper per method, not one per access
  });
});
