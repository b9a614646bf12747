/**
 * A window InfluxDB refuses for good (older than a short retention policy: 400 "partial write: points beyond retention
 * policy dropped=1") does not stall the outbox writer: against a real influxd, `serve --store influx
 * --influx-retention 1h` gets recent windows with one two days old among them; the writer isolates the refused one,
 * keeps it as a dead letter (reason `beyond_retention`, in /api/health and /metrics), writes every other window once,
 * and goes on with what comes after.
 */
import { describe, expect, it } from 'vitest';
import { storeLayer } from '../../../src/server/layers/store-layer.js';
import { InfluxWindowStore } from '../../../src/store/influx/influx-window-store.js';
import { useInfluxd } from '../../helpers/use-influxd.js';
import { request, startTestService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The shortest retention policy InfluxDB 1.x accepts. */
const RETENTION = '1h';
const HOUR_MS = 3_600_000;

const influxd = useInfluxd();

interface OutboxSource {
  kind: string;
  name: string;
  counters: Record<string, number>;
  rejected: Record<string, number>;
  details: { deadLetters: number; recentDeadLetters: { deviceId: string; seq: number; reason: string; detail: string }[] };
}

describe('outbox dead letters against a real influxd', () => {
  it('a window beyond the retention policy becomes a counted dead letter and the writer keeps draining', { timeout: 120_000 }, async () => {
    const database = `dead_${process.pid}`;
    const service = await startTestService({ layers: [storeLayer] }, [
      '--store',
      'influx',
      '--influx-url',
      influxd.url,
      '--influx-database',
      database,
      '--influx-retention',
      RETENTION,
      '--mqtt-port',
      '0',
    ]);
    const reader = new InfluxWindowStore({ url: influxd.url, database });
    const outbox = async (): Promise<OutboxSource> => {
      const health = await request<{ sources: OutboxSource[] }>(`${service.url}/api/health`);
      const source = health.body.sources.find((candidate) => candidate.kind === 'store' && candidate.name.startsWith('influx:'));
      if (source === undefined) throw new Error('no outbox in /api/health');
      return source;
    };
    try {
      const created = await request(`${service.url}/api/devices`, { method: 'POST', token: service.token, json: { id: 'old-import', system: 'kws-typical' } });
      expect(created.status).toBe(201);
      const now = Date.now();
      const windowAt = (seq: number, startMs: number) => ({ seq, startMs, durationS: 10, energyJ: 0.01 * (seq + 1), sampleCount: 100, inferenceCount: 1 });
      // seq 0: two days old (beyond the 1 h policy); seq 1–20: the last few minutes.
      const first = [windowAt(0, now - 48 * HOUR_MS), ...Array.from({ length: 20 }, (_, i) => windowAt(i + 1, now - 10 * 60_000 + i * 10_000))];
      const posted = await request(`${service.url}/api/devices/old-import/windows`, { method: 'POST', token: service.token, json: { windows: first } });
      expect(posted.status).toBe(201);
      await waitFor('the batch drained past the refused window', async () => {
        const source = await outbox();
        return source.counters.backlogWindows === 0 && source.counters.windowsDeadLettered === 1;
      });
      // Later windows keep flowing.
      const later = Array.from({ length: 10 }, (_, i) => windowAt(i + 21, now - 5 * 60_000 + i * 10_000));
      expect((await request(`${service.url}/api/devices/old-import/windows`, { method: 'POST', token: service.token, json: { windows: later } })).status).toBe(
        201,
      );
      await waitFor('InfluxDB to hold the 30 recent windows', async () => (await reader.aggregates(['old-import'])).get('old-import')?.windows === 30);
      const aggregate = (await reader.aggregates(['old-import'])).get('old-import');
      const expectedJ = [...first.slice(1), ...later].reduce((sum, window) => sum + window.energyJ, 0);
      expect(aggregate?.energyJ).toBeCloseTo(expectedJ, 9); // each recent window once, the refused one not at all
      await waitFor('the later windows written', async () => (await outbox()).counters.backlogWindows === 0);
      const source = await outbox();
      expect(source.rejected).toEqual({ beyond_retention: 1 });
      expect(source.counters).toMatchObject({ windowsDeadLettered: 1, writeErrorsRejected: 0, backlogWindows: 0 });
      expect(source.details.deadLetters).toBe(1);
      expect(source.details.recentDeadLetters).toEqual([
        expect.objectContaining({ deviceId: 'old-import', seq: 0, reason: 'beyond_retention', detail: expect.stringMatching(/beyond retention policy/) }),
      ]);
      const metrics = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${service.token}` } })).text();
      expect(metrics).toMatch(/^tinyml_outbox_rejected_total\{source="influx:[^"]+",reason="beyond_retention"\} 1$/m);
      expect(metrics).toMatch(/^tinyml_outbox_windows_dead_lettered_total\{source="influx:[^"]+"\} 1$/m);
    } finally {
      await reader.close();
      await service.close();
    }
  });
});
