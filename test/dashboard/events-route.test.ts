import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLUSH_INTERVAL_MS } from '../../src/dashboard/limits.js';
import type { HelloMessage, UpdateMessage } from '../../src/dashboard/live-types.js';
import { startTestService, type TestService } from './service.js';
import { openSse } from './sse-reader.js';
import { waitFor } from '../helpers/wait-for.js';

describe('GET /api/events', () => {
  let svc: TestService;
  const t0 = Date.now() - 60_000;

  beforeAll(async () => {
    svc = await startTestService();
    await svc.registerDevice({ id: 'ev-1', deployedAt: new Date(t0).toISOString() });
    await svc.registerDevice({ id: 'ev-2' });
  });
  afterAll(async () => {
    await svc.close();
  });

  it("sends hello, then the changed device's fleet row with its measured power and footprint", async () => {
    const sse = await openSse(`${svc.url}/api/events`);
    try {
      expect(sse.status).toBe(200);
      const hello = JSON.parse((await sse.waitFor((e) => e.event === 'hello')).data) as HelloMessage;
      expect(hello.onlineThresholdMs).toBe(60_000);
      expect(hello.flushIntervalMs).toBe(FLUSH_INTERVAL_MS);
      expect(hello.device).toBeNull();
      await svc.postWindows('ev-1', [{ seq: 1, startMs: t0, durationS: 10, energyJ: 0.27 }]);
      const update = JSON.parse((await sse.waitFor((e) => e.event === 'update')).data) as UpdateMessage;
      expect(update.rows).toHaveLength(1);
      const row = update.rows[0]!;
      expect(row.id).toBe('ev-1');
      expect(row.windows).toBe(1);
      expect(row.energyJ).toBe(0.27);
      expect(row.powerKind).toBe('measured');
      expect(row.powerW).toBeCloseTo(0.027, 12);
      // 2.65 kg hardware and training + (27 mW × 3 years = 709.56 Wh + 2.592 Wh self-discharge of the 7.2 Wh pack) × 0.433 kg/kWh
      expect(row.totalKgCO2e).toBeCloseTo(2.65 + ((709.56 + 2.592) / 1000) * 0.433, 8);
      expect(update.points).toEqual({});
      expect(update.dropped).toBe(0);
    } finally {
      sse.close();
    }
  });

  it('coalesces a burst of windows into at most one update per flush interval', async () => {
    const sse = await openSse(`${svc.url}/api/events`);
    try {
      await sse.waitFor((e) => e.event === 'hello');
      const started = Date.now();
      for (let seq = 100; seq < 140; seq += 1) await svc.postWindows('ev-2', [{ seq, startMs: t0 + seq * 1000, durationS: 1, energyJ: 0.002 }]);
      const last = await sse.waitFor(
        (e) => e.event === 'update' && (JSON.parse(e.data) as UpdateMessage).rows.some((r) => r.id === 'ev-2' && r.windows === 40),
      );
      const elapsedMs = Date.now() - started;
      const updates = sse.events.filter((e) => e.event === 'update');
      expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / FLUSH_INTERVAL_MS) + 1);
      expect(updates.length).toBeLessThan(40);
      expect(JSON.parse(last.data).rows[0].energyJ).toBeCloseTo(0.08, 12);
    } finally {
      sse.close();
    }
  });

  it('with ?device=: only that device, with power points and its full footprint', async () => {
    const sse = await openSse(`${svc.url}/api/events?device=ev-1`);
    try {
      const hello = JSON.parse((await sse.waitFor((e) => e.event === 'hello')).data) as HelloMessage;
      expect(hello.device).toBe('ev-1');
      await svc.postWindows('ev-2', [{ seq: 500, startMs: t0, durationS: 10, energyJ: 0.01 }]);
      await svc.postWindows('ev-1', [{ seq: 2, startMs: t0 + 10_000, durationS: 10, energyJ: 0.5 }]);
      const update = JSON.parse((await sse.waitFor((e) => e.event === 'update')).data) as UpdateMessage;
      expect(update.rows.map((r) => r.id)).toEqual(['ev-1']);
      expect(update.points).toEqual({ 'ev-1': [[t0 + 20_000, 0.05]] });
      const footprint = update.footprints['ev-1']!;
      expect(footprint.aggregate?.windows).toBe(2);
      expect(footprint.footprint.power.kind).toBe('measured');
      expect(footprint.footprint.power.powerW).toBeCloseTo(0.77 / 20, 12);
      expect(footprint.footprint.accrued).not.toBeNull();
    } finally {
      sse.close();
    }
  });

  it('rejects an unknown device with 404 and unsubscribes from the live bus when the browser goes away', async () => {
    const missing = await fetch(`${svc.url}/api/events?device=nope`);
    expect(missing.status).toBe(404);
    const bus = svc.service.context.bus;
    const always = 1; // the fleet index listens for as long as the service runs; the feed only while a stream is open
    await waitFor('the 404 request to leave the live bus', () => bus.listenerCount === always, { timeoutMs: 5_000 });
    const sse = await openSse(`${svc.url}/api/events`);
    await sse.waitFor((e) => e.event === 'hello');
    expect(bus.listenerCount).toBe(always + 1);
    sse.close();
    await waitFor('the closed stream to leave the live bus', () => bus.listenerCount === always, { timeoutMs: 5_000 });
    expect(bus.listenerCount).toBe(always);
  });
});

describe('GET /api/events with an injected clock', () => {
  it('hello carries the service clock, not the wall clock (the browser derives its clock offset from it)', async () => {
    const fixedMs = Date.UTC(2030, 0, 1);
    const svc = await startTestService({ clock: () => fixedMs });
    try {
      const sse = await openSse(`${svc.url}/api/events`);
      try {
        const hello = JSON.parse((await sse.waitFor((e) => e.event === 'hello')).data) as HelloMessage;
        expect(hello.serverNowMs).toBe(fixedMs);
      } finally {
        sse.close();
      }
    } finally {
      await svc.close();
    }
  });
});
