/** A full group-commit queue: POST /api/devices/:id/windows answers 503 with Retry-After at once, stores nothing, counts it. */
import { afterEach, describe, expect, it } from 'vitest';
import { INGEST_COMMIT_MAX_PENDING_WINDOWS } from '../../../src/ingest/ingest-service.js';
import { MAX_WINDOWS_PER_REQUEST } from '../../../src/http/limits.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { AppendRequest } from '../../../src/store/store.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/wait-for.js';

const T0 = Date.UTC(2026, 0, 1);
/**
 * This test fills the real queue: 20 000 windows posted, checked and committed (about 2 s on a quiet 2-core machine).
 * It failed the unit project's 5 s once while other processes loaded the machine.
 */
const FILL_THE_QUEUE_TIMEOUT_MS = 30_000;
const batch = (request: number) => ({
  windows: Array.from({ length: MAX_WINDOWS_PER_REQUEST }, (_, i) => {
    const seq = request * MAX_WINDOWS_PER_REQUEST + i;
    return { seq, startMs: T0 + seq * 10_000, durationS: 10, energyJ: 0.01 };
  }),
});

describe('HTTP ingest when the commit queue is full', () => {
  let ctx: TestService;
  afterEach(async () => {
    await ctx.close();
  });

  it(
    'refuses the request beyond the limit with 503 and Retry-After; the others are stored once the store catches up',
    async () => {
      const store = SqliteStore.open(':memory:');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let commitsStarted = 0;
      const commit = store.appendWindowGroups.bind(store);
      store.appendWindowGroups = async (requests: readonly AppendRequest[]) => {
        commitsStarted += 1;
        await held; // a stalled disk
        return commit(requests);
      };
      ctx = await startTestService({ store });
      expect((await request(`${ctx.url}/api/devices`, { method: 'POST', token: ctx.token, json: { id: 'busy' } })).status).toBe(201);
      const post = (i: number) => request(`${ctx.url}/api/devices/busy/windows`, { method: 'POST', token: ctx.token, json: batch(i) });
      const fits = INGEST_COMMIT_MAX_PENDING_WINDOWS / MAX_WINDOWS_PER_REQUEST;
      const accepted = Array.from({ length: fits }, (_, i) => post(i));
      await waitFor('the first commit to stall', () => commitsStarted > 0 || null);
      await waitFor('the queue to fill', () => ctx.service.context.ingest.pendingWindows >= INGEST_COMMIT_MAX_PENDING_WINDOWS || null);
      const refused = await fetch(`${ctx.url}/api/devices/busy/windows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch(fits)),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ status: 503, type: expect.stringMatching(/overloaded$/) });
      expect(ctx.service.context.ingest.counters.submitsOverloaded).toBe(1);
      release();
      expect((await Promise.all(accepted)).map((answer) => answer.status)).toEqual(Array.from({ length: fits }, () => 201));
      const device = await request(`${ctx.url}/api/devices/busy`);
      expect(device.body.aggregate.windows).toBe(INGEST_COMMIT_MAX_PENDING_WINDOWS);
    },
    FILL_THE_QUEUE_TIMEOUT_MS,
  );
});
