/** MicroBatcher: items that arrive together are written as one batch; bounded pending items. */
import { describe, expect, it } from 'vitest';
import { MicroBatcher, OverloadError } from '../../src/ingest/micro-batcher.js';

describe('MicroBatcher', () => {
  it('flushes items that arrive together as one batch and settles each after its flush', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push([...items]);
        return items.map((item) => item * 10);
      },
      { lingerMs: 1, maxBatchItems: 3 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.add(item)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    await batcher.close();
  });
  it('rejects beyond maxPending with OverloadError and rejects a failed batch as a whole', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        if (fail) throw new Error('disk full');
        return [...items];
      },
      { lingerMs: 1, maxPendingItems: 2 },
    );
    const first = batcher.add(1);
    const second = batcher.add(2);
    await expect(batcher.add(3)).rejects.toBeInstanceOf(OverloadError);
    await expect(first).rejects.toThrow('disk full');
    await expect(second).rejects.toThrow('disk full');
    fail = false;
    await expect(batcher.add(4)).resolves.toBe(4);
    await batcher.close();
    await expect(batcher.add(5)).rejects.toThrow('closed');
  });

  it('takes an item larger than the limit on its own even while others wait (an import), and holds others back until it is flushed', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        await gate;
        batches.push([...items]);
        return [...items];
      },
      { lingerMs: 1, maxPendingItems: 10, maxBatchItems: 10, sizeOf: (item) => item },
    );
    const small = batcher.add(3);
    const large = batcher.add(25); // over the limit alone: taken although 3 wait
    await expect(batcher.add(2)).rejects.toBeInstanceOf(OverloadError); // pending 28 > 10: back-pressure
    await expect(batcher.add(8)).rejects.toBeInstanceOf(OverloadError); // fits the limit, not beside what waits
    release();
    await expect(small).resolves.toBe(3);
    await expect(large).resolves.toBe(25);
    expect(batches).toEqual([[3], [25]]);
    await expect(batcher.add(8)).resolves.toBe(8);
    await batcher.close();
  });

  it('addWith: one callback per item after its flush, no promise; refusals throw at once; a throwing callback does not stop the batch', async () => {
    const batcher = new MicroBatcher<number, number>(async (items) => items.map((item) => item * 2), { lingerMs: 1, maxPendingItems: 3 });
    const settled: [unknown, number | undefined][] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      batcher.addWith(1, () => {
        throw new Error('callback bug');
      });
      batcher.addWith(2, (error, result) => settled.push([error, result]));
      batcher.addWith(3, (error, result) => settled.push([error, result]));
      expect(settled).toEqual([]); // never before the flush
      expect(() => batcher.addWith(4, () => undefined)).toThrow(OverloadError);
      await batcher.close();
      expect(settled).toEqual([
        [null, 4],
        [null, 6],
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncaught).toEqual([new Error('callback bug')]);
      expect(() => batcher.addWith(5, () => undefined)).toThrow('closed');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('addWith: a failed flush calls every item back with its error', async () => {
    const batcher = new MicroBatcher<number, number>(async () => Promise.reject(new Error('disk full')), { lingerMs: 1 });
    const errors: unknown[] = [];
    batcher.addWith(1, (error) => errors.push(error));
    batcher.addWith(2, (error) => errors.push(error));
    await batcher.close();
    expect(errors).toEqual([new Error('disk full'), new Error('disk full')]);
  });

  it('with maxConcurrentFlushes 2 starts the next flush while one is pending, no more, and settles them in start order', async () => {
    const started: number[][] = [];
    const gates: (() => void)[] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        started.push([...items]);
        await new Promise<void>((resolve) => gates.push(resolve));
        return [...items];
      },
      { lingerMs: 1, maxBatchItems: 2, maxConcurrentFlushes: 2 },
    );
    const done: number[] = [];
    const added = [1, 2, 3, 4, 5, 6].map((item) => batcher.add(item).then((result) => done.push(result)));
    const waitFor = async (condition: () => boolean): Promise<void> => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    await waitFor(() => started.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started).toEqual([
      [1, 2],
      [3, 4],
    ]); // the third batch waits: two flushes pending
    expect(batcher.pending).toBe(6);
    gates[1]!(); // the second finishes first: held until the first settled
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toEqual([]);
    expect(started.length).toBe(2);
    gates[0]!();
    await waitFor(() => started.length === 3);
    expect(done).toEqual([1, 2, 3, 4]);
    gates[2]!();
    await Promise.all(added);
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
    await batcher.close();
  });
});
