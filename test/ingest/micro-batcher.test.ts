/** MicroBatcher: items that arrive together are written as one batch; bounded pending items. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicroBatcher, OverloadError } from '../../src/ingest/micro-batcher.js';
import { mulberry32 } from '../../src/util/random.js';

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
  describe('lingerEndsAtLastBatch', () => {
    const LINGER_MS = 100;
    afterEach(() => {
      vi.useRealTimers();
    });
    /** A batcher on fake timers, recording its batches. */
    function recording(lingerEndsAtLastBatch: boolean): { batcher: MicroBatcher<number, number>; batches: number[][] } {
      vi.useFakeTimers();
      const batches: number[][] = [];
      const batcher = new MicroBatcher<number, number>(
        async (items) => {
          batches.push([...items]);
          return [...items];
        },
        { lingerMs: LINGER_MS, lingerEndsAtLastBatch },
      );
      return { batcher, batches };
    }

    it('flushes once as much waits as the largest of the last four flushes held; fewer wait the whole linger; none settled: the whole linger', async () => {
      const { batcher, batches } = recording(true);
      const first = [1, 2, 3].map((item) => batcher.add(item));
      await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
      expect(batches).toEqual([]); // nothing settled yet: no size to wait for
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all(first);
      expect(batches).toEqual([[1, 2, 3]]);

      const second = [4, 5].map((item) => batcher.add(item));
      await vi.advanceTimersByTimeAsync(0);
      expect(batches.length).toBe(1); // two of the three the last flush held
      second.push(batcher.add(6));
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]); // at once, not LINGER_MS later
      await Promise.all(second);

      const third = batcher.add(7);
      await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
      expect(batches.length).toBe(2); // one of three: the linger still applies
      await vi.advanceTimersByTimeAsync(1);
      await third;
      expect(batches.at(-1)).toEqual([7]);

      // The largest of the last four batches is still three: single items keep waiting the whole linger until the
      // three-item batches are four flushes back.
      for (const item of [8, 9, 10]) {
        const single = batcher.add(item);
        await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
        expect(batches.at(-1)).not.toEqual([item]);
        await vi.advanceTimersByTimeAsync(1);
        expect(batches.at(-1)).toEqual([item]);
        await single;
      }
      const early = batcher.add(11); // the last four held one each
      await vi.advanceTimersByTimeAsync(0);
      expect(batches.at(-1)).toEqual([11]);
      await early;
      await batcher.close();
    });

    it('senders on their own clock (random arrivals, 20 a linger on average) keep batches of about a linger, not one item each', async () => {
      const { batcher, batches } = recording(true);
      const random = mulberry32(7);
      const MEAN_GAP_MS = LINGER_MS / 20;
      const ARRIVALS = 4_000;
      const added: Promise<number>[] = [];
      for (let item = 0; item < ARRIVALS; item += 1) {
        await vi.advanceTimersByTimeAsync(Math.round(-Math.log(1 - random()) * MEAN_GAP_MS));
        added.push(batcher.add(item));
      }
      await vi.advanceTimersByTimeAsync(LINGER_MS);
      await Promise.all(added);
      const later = batches.slice(batches.length / 2);
      const meanSize = later.reduce((sum, batch) => sum + batch.length, 0) / later.length;
      // A whole linger gathers ~21 (18 here); ending every linger at the last batch's size drifts to ~11.
      expect(meanSize).toBeGreaterThan(15);
      await batcher.close();
    });

    it('without it every batch waits the whole linger', async () => {
      const { batcher, batches } = recording(false);
      await Promise.all([vi.advanceTimersByTimeAsync(LINGER_MS), ...[1, 2, 3].map((item) => batcher.add(item))]);
      const second = [4, 5, 6].map((item) => batcher.add(item));
      await vi.advanceTimersByTimeAsync(LINGER_MS - 1);
      expect(batches).toEqual([[1, 2, 3]]);
      await vi.advanceTimersByTimeAsync(1);
      await Promise.all(second);
      expect(batches).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      await batcher.close();
    });
  });
});
