import type { IncomingMessage } from 'node:http';

/** process.hrtime.bigint() when a request arrived, for the requests answered in a later turn (turn-budget.ts). */
const arrivals = new WeakMap<IncomingMessage, bigint>();

/** Records that `req` arrived now: its answer may come in a later event-loop turn. */
export function markArrival(req: IncomingMessage): void {
  arrivals.set(req, process.hrtime.bigint());
}

/** When `req` arrived, if it waited for a later turn; otherwise it is being handled as it arrives. */
export function arrivalNs(req: IncomingMessage): bigint | undefined {
  return arrivals.get(req);
}
