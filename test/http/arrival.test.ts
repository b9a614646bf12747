/** A request that waited for a later event-loop turn (turn-budget.ts) is timed from its arrival, not from its handling. */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { beginRequestLog } from '../../src/http/access-log.js';
import { markArrival } from '../../src/http/arrival.js';
import { RecordingLogger } from '../helpers/recording-logger.js';

/** Nanoseconds: far beyond the microseconds between a request's begin and close, even on a busy machine. */
const WAITED_NS = 50_000_000n;

function fakeRequest(): IncomingMessage {
  return { method: 'GET', url: '/api/health', headers: {}, socket: { bytesWritten: 0, remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

/** The seconds the duration metric observed for one request begun and answered at once, after `before` ran. */
function observedSeconds(req: IncomingMessage, before: () => void): number {
  before();
  let seconds = Number.NaN;
  const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: true }) as unknown as ServerResponse;
  beginRequestLog(new RecordingLogger(), (_method, _route, _status, s) => (seconds = s), req, res, '/api/health');
  res.emit('close');
  return seconds;
}

/** Returns once the monotonic clock has moved WAITED_NS past `fromNs` (a condition, not a sleep). */
function untilPast(fromNs: bigint): void {
  while (process.hrtime.bigint() - fromNs < WAITED_NS) {
    // spin: the wait is what is measured
  }
}

describe('arrival time of a request that waited', () => {
  it('counts the wait in the duration of a marked request', () => {
    const req = fakeRequest();
    const seconds = observedSeconds(req, () => {
      const at = process.hrtime.bigint();
      markArrival(req);
      untilPast(at);
    });
    expect(seconds).toBeGreaterThanOrEqual(Number(WAITED_NS) / 1e9);
  });

  it('times an unmarked request from its handling', () => {
    const req = fakeRequest();
    const seconds = observedSeconds(req, () => untilPast(process.hrtime.bigint()));
    expect(seconds).toBeLessThan(Number(WAITED_NS) / 1e9);
  });
});
