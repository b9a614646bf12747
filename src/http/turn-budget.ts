/**
 * A bound on the HTTP work of one event-loop turn. Node answers every request that arrived since the last poll in one
 * turn: at 50 connections, 40–50 answers of a quarter of a millisecond each held the loop for 12–18 ms (bench/fleet-load.ts,
 * BENCH_LOOP_DETAIL=1), while every timer (MQTT keepalives, the group commit's linger, the serial watchdogs, the fleet
 * index's steps) waited. Here a turn answers requests until TURN_BUDGET_MS of its time is spent; the rest wait, in
 * arrival order, for later turns, each of which answers what its own budget allows after the timers have run. The
 * access log's duration of a request that waited counts from its arrival (arrival.ts); one whose client went away
 * while it waited is not handled, only counted (`onAbandoned`). Probes are answered at once (`immediate`): they must
 * answer while a flood waits.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { markArrival } from './arrival.js';
import { LIVEZ_PATH, READYZ_PATH } from './routes/probes.js';
import { pathOf } from './url-path.js';

/**
 * Milliseconds of request handling per event-loop turn. A turn also parses the requests that arrive in it, finishes the
 * answers written in the turn before (their access-log lines) and may overrun the budget by one answer: at 50
 * connections that was 3–5 ms more (bench/fleet-load.ts at 100 000 devices: turns of up to 9.9 ms of CPU with a budget
 * of 5), so 3 keeps a turn under the 10 ms bound on one task.
 */
export const TURN_BUDGET_MS = 3;
/**
 * Requests waiting at most: a connection carries one request at a time, so the server's MAX_CONNECTIONS (1 000) bounds
 * them in practice; past this (pipelining clients) a request is answered at once, as without the budget, ahead of
 * those that wait.
 */
export const MAX_WAITING_REQUESTS = 4_000;
/**
 * Tasks of a batch at least; a batch has twice as many as the last one answered (the budget, not the queue, decides
 * how many a turn answers): a task per waiting request costs ~1–4 µs even when the budget is spent, which at 4 000
 * waiting would be several budgets of nothing per turn.
 */
export const MIN_BATCH_TASKS = 16;
/** Answered slots at the queue's head past which the array is compacted (a backlog that never empties). */
const COMPACT_AFTER_SLOTS = 1_024;

export interface TurnBudgetOptions {
  budgetMs?: number;
  maxWaiting?: number;
  /** Monotonic milliseconds (performance.now). */
  now?: () => number;
  /**
   * Runs `task` in the check phase of the current event-loop turn, or of the next one when called from a check-phase
   * callback (setImmediate; a test's own queue). Promise continuations run between two such tasks.
   */
  defer?: (task: () => void) => void;
  /** Requests answered without waiting whatever the budget (probes). */
  immediate?: (req: IncomingMessage) => boolean;
  /** Once per request that waits. */
  onDeferred?: () => void;
  /** Once per waiting request whose client went away before its turn: it is not handled. */
  onAbandoned?: () => void;
}

/** Paths of the liveness and readiness probes, answered ahead of any waiting request. */
const PROBE_PATHS: ReadonlySet<string> = new Set([LIVEZ_PATH, READYZ_PATH]);

/** A liveness or readiness probe (any query string): cheap, and what an orchestrator restarts the service by. */
export function isProbe(req: IncomingMessage): boolean {
  return PROBE_PATHS.has(pathOf(req.url ?? '/'));
}

interface Waiting {
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * `next` with each turn's handling bounded by the budget (module comment). Waiting requests are answered one per
 * check-phase task, so that what an answer does after an `await` (which runs between two tasks, not inside one) is
 * counted in the budget of the turn it ran in: a batch of tasks (MIN_BATCH_TASKS or twice what the last batch
 * answered) is scheduled from a check-phase callback, so it runs in the next turn, after its timers, and each task
 * answers one request while the turn's budget lasts; the batch's last task schedules the next batch. The first batch
 * is scheduled by a hop through the current turn's check phase: scheduled from the poll phase, it would run in the
 * turn that just spent its budget.
 */
export function withTurnBudget(next: RequestListener, options: TurnBudgetOptions = {}): RequestListener {
  const budgetMs = options.budgetMs ?? TURN_BUDGET_MS;
  const maxWaiting = options.maxWaiting ?? MAX_WAITING_REQUESTS;
  const now = options.now ?? (() => performance.now());
  const defer = options.defer ?? setImmediate;
  const immediate = options.immediate ?? (() => false);
  const onDeferred = options.onDeferred ?? (() => {});
  const onAbandoned = options.onAbandoned ?? (() => {});
  const waiting: (Waiting | undefined)[] = [];
  let head = 0;
  /** A batch (or the hop to one) is scheduled. */
  let scheduled = false;
  /** Tasks of the scheduled batch not run yet, when the batch started, and how many it answered. */
  let batchLeft = 0;
  let batchStartMs: number | null = null;
  let batchAnswered = 0;
  /** How many the last batch answered: the next batch's size. */
  let lastAnswered = 0;
  /** When the current turn's first request was handled in the poll phase; null: no turn open. */
  let turnStartMs: number | null = null;

  const closeTurn = (): void => {
    turnStartMs = null;
  };
  /** The next waiting request whose client is still there, or undefined; the others are dropped and counted. */
  const takeLive = (): Waiting | undefined => {
    while (head < waiting.length) {
      const entry = waiting[head]!;
      waiting[head] = undefined;
      head += 1;
      if (!entry.res.destroyed && !entry.req.destroyed) return entry;
      onAbandoned();
    }
    return undefined;
  };
  const endOfBatch = (): void => {
    lastAnswered = batchAnswered;
    batchStartMs = null;
    batchAnswered = 0;
    if (head > COMPACT_AFTER_SLOTS && head * 2 > waiting.length) {
      waiting.splice(0, head);
      head = 0;
    }
    if (head < waiting.length) {
      scheduleBatch();
      return;
    }
    waiting.length = 0;
    head = 0;
    scheduled = false;
  };
  const step = (): void => {
    batchLeft -= 1;
    const at = now();
    // What this turn's poll phase already handled (probes, requests before any waited) counts in the batch's budget.
    batchStartMs ??= turnStartMs ?? at;
    try {
      // At least one per batch, so that a budget smaller than one answer still moves the queue.
      if (batchAnswered === 0 || at - batchStartMs < budgetMs) {
        const entry = takeLive();
        if (entry !== undefined) {
          batchAnswered += 1;
          next(entry.req, entry.res);
        }
      }
    } finally {
      // also after a throwing handler: the queue must keep moving
      if (batchLeft === 0) endOfBatch();
    }
  };
  /** Runs in a check-phase callback: the batch runs in the next turn. */
  const scheduleBatch = (): void => {
    batchLeft = Math.min(waiting.length - head, Math.max(MIN_BATCH_TASKS, 2 * lastAnswered));
    for (let n = 0; n < batchLeft; n += 1) defer(step);
  };
  return (req, res) => {
    const at = now();
    // Every request's time counts in the turn's budget, a probe's too: it is answered at once, but what arrives after it waits sooner.
    if (turnStartMs === null) {
      turnStartMs = at;
      // after the batch of this turn's check phase (scheduled a turn earlier), which counts what the turn spent so far
      defer(closeTurn);
    }
    const queued = waiting.length - head;
    if (immediate(req) || queued >= maxWaiting) {
      next(req, res);
      return;
    }
    // Behind requests that already wait: a turn's new arrivals never overtake them.
    if (queued === 0 && at - turnStartMs < budgetMs) {
      next(req, res);
      return;
    }
    markArrival(req);
    onDeferred();
    waiting.push({ req, res });
    if (!scheduled) {
      scheduled = true;
      defer(scheduleBatch);
    }
  };
}
