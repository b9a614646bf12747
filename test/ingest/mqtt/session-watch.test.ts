/** SessionWatch, pure: the signs of a session taken over by another client with our client id. */
import { describe, expect, it } from 'vitest';
import {
  REASON_SESSION_TAKEN_OVER,
  SessionWatch,
  SHORT_SESSION_MS,
  SHORT_SESSIONS_WARNING,
  TAKEOVER_WARNING_MS,
} from '../../../src/ingest/mqtt/session-watch.js';

function watchAt(): { watch: SessionWatch; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { watch: new SessionWatch('reader-1', () => now), advance: (ms) => (now += ms) };
}

describe('SessionWatch', () => {
  it('a DISCONNECT 0x8E is a takeover at once: warned, contested, counted by reason', () => {
    const { watch } = watchAt();
    watch.connected();
    expect(watch.disconnected(REASON_SESSION_TAKEN_OVER)).toBe('takeover');
    expect(watch.closed(false)).toBeNull(); // the close that follows is the same event
    expect(watch).toMatchObject({ takeovers: 1, shortSessions: 0, contested: true, disconnectReasons: { '142': 1 } });
    expect(watch.warning()).toMatch(/session taken over.*"reader-1".*--mqtt-client-id/);
    watch.connected();
    expect(watch.contested).toBe(false);
  });

  it('other DISCONNECT reasons are counted, not signs', () => {
    const { watch } = watchAt();
    watch.connected();
    expect(watch.disconnected(0x8b)).toBeNull(); // server shutting down
    expect(watch).toMatchObject({ takeovers: 0, disconnectReasons: { '139': 1 } });
    expect(watch.warning()).toBeNull();
  });

  it(`${SHORT_SESSIONS_WARNING} connections in a row closed by the broker within ${SHORT_SESSION_MS} ms raise the warning`, () => {
    const { watch, advance } = watchAt();
    const signs: (string | null)[] = [];
    for (let round = 0; round < SHORT_SESSIONS_WARNING; round += 1) {
      watch.connected();
      advance(SHORT_SESSION_MS - 1);
      signs.push(watch.closed(false));
    }
    expect(signs).toEqual([...Array(SHORT_SESSIONS_WARNING - 1).fill(null), 'short_sessions']);
    expect(watch.contested).toBe(true);
    expect(watch.warning()).toMatch(/closed 3 connections in a row/);
    advance(TAKEOVER_WARNING_MS + 1);
    expect(watch.warning()).toBeNull();
  });

  it('a long session resets the run; connections we close ourselves do not count', () => {
    const { watch, advance } = watchAt();
    for (const [durationMs, byUs] of [
      [10, false],
      [10, false],
      [SHORT_SESSION_MS, false],
      [10, false],
      [10, true],
      [10, true],
      [10, false],
    ] as const) {
      watch.connected();
      advance(durationMs);
      watch.closed(byUs);
    }
    expect(watch).toMatchObject({ shortSessions: 4, shortSessionsInARow: 2, contested: false });
    expect(watch.warning()).toBeNull();
  });
});
