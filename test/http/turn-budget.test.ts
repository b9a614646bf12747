/**
 * The per-turn budget of HTTP handling (src/http/turn-budget.ts): requests past a turn's budget wait, in arrival order,
 * for later turns, each of which answers what its own budget allows; probes never wait; nothing is dropped.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { isProbe, withTurnBudget, type TurnBudgetOptions } from '../../src/http/turn-budget.js';

const res = {} as ServerResponse;
const req = (url: string): IncomingMessage => ({ url }) as IncomingMessage;

/** A listener whose every answer takes `costMs` on a fake clock, with the later turns queued by hand. */
function harness(costMs: number, options: TurnBudgetOptions = {}) {
  let nowMs = 0;
  const answered: string[] = [];
  let tasks: (() => void)[] = [];
  let deferred = 0;
  let abandoned = 0;
  const listener = withTurnBudget(
    (request) => {
      answered.push(request.url!);
      nowMs += costMs;
      if (request.url === '/throws') throw new Error('handler failed');
    },
    {
      budgetMs: 5,
      now: () => nowMs,
      defer: (task) => tasks.push(task),
      immediate: isProbe,
      onDeferred: () => (deferred += 1),
      onAbandoned: () => (abandoned += 1),
      ...options,
    },
  );
  /** Runs the check phase of a turn: the tasks deferred before it started (those it defers run in the next one). */
  const checkPhase = (): void => {
    const due = tasks;
    tasks = [];
    // as Node's: one task's throw does not keep the others from running
    const errors: unknown[] = [];
    for (const task of due) {
      try {
        task();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  };
  return {
    listener,
    answered,
    deferred: () => deferred,
    abandoned: () => abandoned,
    pending: () => tasks.length,
    /** The check phase of the turn the requests arrived in (it schedules the waiting ones), then the next turn's. */
    firstTurn: (): void => {
      checkPhase();
      checkPhase();
    },
    nextTurn: checkPhase,
  };
}

describe('withTurnBudget', () => {
  it('answers at once while the turn has budget, then defers the rest to later turns of a budget each', () => {
    const h = harness(2);
    for (let n = 1; n <= 8; n += 1) h.listener(req(`/r${n}`), res);
    // 0, 2, 4 ms are inside the 5 ms budget; the fourth would start at 6 ms
    expect(h.answered).toEqual(['/r1', '/r2', '/r3']);
    expect(h.deferred()).toBe(5);
    h.firstTurn();
    // a turn starting at 6 ms answers at 6, 8, 10 ms and stops at 12 (6 ms spent)
    expect(h.answered).toEqual(['/r1', '/r2', '/r3', '/r4', '/r5', '/r6']);
    h.nextTurn();
    expect(h.answered).toEqual(['/r1', '/r2', '/r3', '/r4', '/r5', '/r6', '/r7', '/r8']);
    expect(h.pending()).toBe(0);
  });

  it('answers at least one waiting request per turn when one answer costs more than the budget', () => {
    const h = harness(20);
    for (let n = 1; n <= 3; n += 1) h.listener(req(`/r${n}`), res);
    expect(h.answered).toEqual(['/r1']);
    h.firstTurn();
    expect(h.answered).toEqual(['/r1', '/r2']);
    h.nextTurn();
    expect(h.answered).toEqual(['/r1', '/r2', '/r3']);
  });

  it('never lets a new arrival overtake a waiting request, even in a fresh turn', () => {
    const h = harness(3);
    h.listener(req('/a'), res);
    h.listener(req('/b'), res);
    h.listener(req('/c'), res); // 6 ms: waits
    h.nextTurn(); // this turn's check phase: the turn closes, the batch is scheduled
    h.listener(req('/d'), res); // the next turn's poll: a fresh turn, but /c waits, so /d goes behind it
    expect(h.answered).toEqual(['/a', '/b']);
    expect(h.deferred()).toBe(2);
    h.nextTurn();
    h.nextTurn();
    expect(h.answered).toEqual(['/a', '/b', '/c', '/d']);
  });

  it('starts a fresh budget in the next turn once nothing waits', () => {
    const h = harness(3);
    for (const url of ['/a', '/b', '/c']) h.listener(req(url), res);
    h.firstTurn();
    expect(h.answered).toEqual(['/a', '/b', '/c']);
    h.listener(req('/d'), res);
    expect(h.answered).toEqual(['/a', '/b', '/c', '/d']);
    expect(h.deferred()).toBe(1);
  });

  it("counts what its turn's poll phase handled in a batch's budget", () => {
    const h = harness(2);
    for (const url of ['/a', '/b', '/c', '/d', '/e']) h.listener(req(url), res);
    expect(h.answered).toEqual(['/a', '/b', '/c']); // /d arrives at 6 ms and waits, /e behind it
    h.nextTurn(); // the turn closes, the batch is scheduled
    // the next turn's poll: two probes from 6 to 10 ms; its batch then has 1 ms left, and answers one (at least one)
    h.listener(req('/livez'), res);
    h.listener(req('/livez'), res);
    h.nextTurn();
    expect(h.answered).toEqual(['/a', '/b', '/c', '/livez', '/livez', '/d']);
    h.nextTurn();
    h.nextTurn();
    expect(h.answered.at(-1)).toBe('/e');
  });

  it('answers probes at once while other requests wait', () => {
    const h = harness(10);
    h.listener(req('/api/health'), res);
    h.listener(req('/api/devices/x/footprint'), res);
    h.listener(req('/livez'), res);
    h.listener(req('/readyz?verbose=1'), res);
    expect(h.answered).toEqual(['/api/health', '/livez', '/readyz?verbose=1']);
    h.firstTurn();
    expect(h.answered.at(-1)).toBe('/api/devices/x/footprint');
  });

  it("counts a probe's time in the turn's budget: what arrives after it waits sooner", () => {
    const h = harness(2);
    for (const url of ['/livez', '/livez', '/readyz', '/a', '/b']) h.listener(req(url), res);
    // three probes spend 6 ms: /a, arriving at 6 ms, waits
    expect(h.answered).toEqual(['/livez', '/livez', '/readyz']);
    h.firstTurn();
    expect(h.answered).toEqual(['/livez', '/livez', '/readyz', '/a', '/b']);
  });

  it('answers at once, as without a budget, once maxWaiting requests wait', () => {
    const h = harness(10, { maxWaiting: 2 });
    for (const url of ['/a', '/b', '/c', '/d']) h.listener(req(url), res);
    expect(h.answered).toEqual(['/a', '/d']);
    h.firstTurn();
    expect(h.answered).toEqual(['/a', '/d', '/b']);
    h.nextTurn();
    expect(h.answered).toEqual(['/a', '/d', '/b', '/c']);
  });

  it('drops a waiting request whose client went away, counted, and answers the next one in its place', () => {
    const h = harness(10);
    h.listener(req('/a'), res);
    h.listener(req('/gone'), { destroyed: true } as ServerResponse);
    h.listener({ url: '/gone-too', destroyed: true } as IncomingMessage, res);
    h.listener(req('/b'), res);
    h.firstTurn();
    expect(h.answered).toEqual(['/a', '/b']);
    expect(h.abandoned()).toBe(2);
    expect(h.pending()).toBe(0);
  });

  it('keeps the queue moving after a handler throws', () => {
    const h = harness(10);
    h.listener(req('/a'), res);
    h.listener(req('/throws'), res);
    // /throws is its batch's last task: what ends the batch must still run
    expect(() => h.firstTurn()).toThrow('handler failed');
    h.listener(req('/b'), res);
    h.firstTurn();
    expect(h.answered).toEqual(['/a', '/throws', '/b']);
    expect(h.pending()).toBe(0);
  });

  it('schedules a batch the size of what the last one answered, not of the queue', () => {
    const h = harness(2);
    for (let n = 0; n < 500; n += 1) h.listener(req(`/r${n}`), res);
    expect(h.answered).toHaveLength(3);
    h.nextTurn(); // the hop schedules the first batch
    expect(h.pending()).toBe(16);
    h.nextTurn(); // answers 3 (the budget), then schedules max(16, 2 × 3)
    expect(h.answered).toHaveLength(6);
    expect(h.pending()).toBe(16);
    while (h.pending() > 0) h.nextTurn();
    expect(h.answered).toHaveLength(500);
    expect(new Set(h.answered).size).toBe(500);
    expect(h.answered.at(-1)).toBe('/r499');
  });

  it('does not hand a request to its handler when its client hung up while it waited (a real socket)', async () => {
    const tasks: (() => void)[] = [];
    const handled: string[] = [];
    let abandoned = 0;
    const server = createServer(
      withTurnBudget(
        (request, response) => {
          handled.push(request.url!);
          response.end('ok');
        },
        { budgetMs: 0, defer: (task) => tasks.push(task), onAbandoned: () => (abandoned += 1) },
      ),
    );
    const arrived: ServerResponse[] = [];
    server.on('request', (_request, response: ServerResponse) => arrived.push(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = request({ port, host: '127.0.0.1', path: '/leaves' });
      client.on('error', () => {});
      client.end();
      await waitFor('the request to arrive', () => arrived.length === 1 || undefined);
      client.destroy();
      await waitFor('the server to see the client leave', () => arrived[0]!.destroyed || undefined);
      while (tasks.length > 0) tasks.shift()!();
      expect(handled).toEqual([]);
      expect(abandoned).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('counts what an answer does after an await in the budget of the turn it runs in', async () => {
    let nowMs = 0;
    const answered: string[] = [];
    const listener = withTurnBudget(
      (request) => {
        // the answer's work happens in a continuation, as /api/health's does after its store read
        void Promise.resolve().then(() => {
          answered.push(request.url!);
          nowMs += 3;
        });
      },
      { budgetMs: 5, now: () => nowMs },
    );
    // as in a poll phase, continuations run between two arrivals
    for (const url of ['/a', '/b', '/c', '/d', '/e']) {
      listener(req(url), res);
      await Promise.resolve();
    }
    // the turn's budget: /a at 0, /b at 3 ms; /c arrives at 6 ms and waits, and the rest behind it
    expect(answered).toEqual(['/a', '/b']);
    // the next turn answers /c (at 6 ms) and /d (at 9 ms: its continuation ran before /e's task looked); /e at 12 waits again
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    expect(answered).toEqual(['/a', '/b', '/c', '/d']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(answered).toEqual(['/a', '/b', '/c', '/d', '/e']);
  });

  it("by default answers a waiting request in the next event-loop turn, after the current turn's immediates", async () => {
    const order: string[] = [];
    let answered!: () => void;
    const done = new Promise<void>((resolve) => (answered = resolve));
    const listener = withTurnBudget(
      () => {
        order.push('answered');
        answered();
      },
      { budgetMs: 0 },
    );
    listener(req('/a'), res);
    expect(order).toEqual([]);
    setImmediate(() => order.push('this turn'));
    await done;
    expect(order).toEqual(['this turn', 'answered']);
  });
});

describe('isProbe', () => {
  it('is the liveness and readiness paths with or without a query, nothing else', () => {
    expect(['/livez', '/readyz', '/livez?x=1'].map((url) => isProbe(req(url)))).toEqual([true, true, true]);
    expect(['/livez/', '/api/health', '/readyzz', '/'].map((url) => isProbe(req(url)))).toEqual([false, false, false, false]);
  });
});
