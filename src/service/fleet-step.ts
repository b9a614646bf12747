/**
 * Milliseconds of fleet work (a load or sync step, a refresh, a page scan or render) in one turn of the event
 * loop before it yields: the service allows itself no task over 10 ms (issue 11), and one unit of work past the budget
 * (a store read of a few dozen devices, about 1 000 scanned rows) stays well inside the rest. A step of a fixed number
 * of devices was 8–14 ms at 100 000 devices on a loaded 2-core machine; a time budget holds on any machine.
 */
export const FLEET_STEP_BUDGET_MS = 4;

/** Resolves after the other work waiting on the event loop (I/O callbacks, timers) has had its turn. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The budget is one for all the fleet work of a turn, not one per piece of work. Pieces that run at once (the
 * dashboard's page scan, its overview pass and its top-5 scan arrive together) used to take a budget each, and their
 * yields all came back in the same check phase: 3 × 4 ms in one turn, the 12–16 ms tasks bench/fleet-load.ts found
 * with the dashboard polling alone. Now the first piece of a turn opens it and every piece's `due` counts from the
 * turn's start; the pieces that yielded are resumed one per turn, in the order they yielded, by one immediate.
 *
 * A turn opened by an I/O callback or a timer closes in the check phase of the same loop iteration, after the resume
 * already queued there (which so shares its budget). A turn opened by the resume closes in the next iteration's timers
 * phase (a 0 ms timeout, so once 1 ms has passed), before its I/O callbacks, which then open a turn of their own; the
 * next resume opens a new one in any case. While a stale turn is open, a piece does one unit of work and yields.
 */
const waiting: (() => void)[] = [];
/** performance.now() when the current turn's fleet work began, or null when no turn is open. */
let turnStartedMs: number | null = null;
/** Which turn is open: a close meant for an earlier turn leaves a later one alone. */
let turnNumber = 0;
/** The open turn was opened by a resume (so in an earlier iteration, if a resume finds it still open). */
let openedByResume = false;
let resumeScheduled = false;

/** Open a turn at `nowMs`; `closeWith` schedules its close. */
function openTurn(nowMs: number, byResume: boolean, closeWith: (close: () => void) => void): void {
  turnStartedMs = nowMs;
  openedByResume = byResume;
  turnNumber += 1;
  const opened = turnNumber;
  closeWith(() => {
    if (turnNumber === opened) turnStartedMs = null;
  });
}

/** Start of the current turn's fleet work, opening the turn when none is. */
function turnStart(): number {
  if (turnStartedMs === null) openTurn(performance.now(), false, (close) => setImmediate(close));
  return turnStartedMs!;
}

/** Resume the piece that waited longest (in the turn open, or in a new one); the next one in the next turn. */
function resumeNext(): void {
  resumeScheduled = false;
  const resume = waiting.shift();
  if (resume === undefined) return;
  if (turnStartedMs === null || openedByResume) openTurn(performance.now(), true, (close) => setTimeout(close, 0));
  resume();
  if (waiting.length > 0) scheduleResume();
}

function scheduleResume(): void {
  if (resumeScheduled) return;
  resumeScheduled = true;
  setImmediate(resumeNext);
}

/**
 * A time budget for one turn of the event loop, shared by all the fleet work of that turn: `due` says when the work
 * done in this turn (by this piece and any other) reached it, and `yield` gives the loop back until this piece's turn.
 */
export class StepBudget {
  /** The work begins with the budget: it counts in the turn open (or opens one). */
  constructor(private readonly budgetMs: number = FLEET_STEP_BUDGET_MS) {
    turnStart();
  }

  get due(): boolean {
    return performance.now() - turnStart() >= this.budgetMs;
  }

  yield(): Promise<void> {
    return new Promise((resolve) => {
      waiting.push(resolve);
      scheduleResume();
    });
  }

  /** Yield only when the budget is spent. */
  async yieldIfDue(): Promise<void> {
    if (this.due) await this.yield();
  }
}
