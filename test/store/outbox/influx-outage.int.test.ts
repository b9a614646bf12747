/**
 * Durability without the database in the ack path, against a real influxd: the service (`--store influx`) keeps
 * acknowledging while InfluxDB is down, shows the backlog in /api/health, and once InfluxDB is back writes every
 * acknowledged window, none twice. A second case: past the backlog cap ingest refuses (HTTP 503 + Retry-After).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/obs/logger.js';
import { loadServeConfig } from '../../../src/server/serve-config.js';
import { startService } from '../../../src/server/service.js';
import { storeLayer } from '../../../src/server/layers/store-layer.js';
import { InfluxWindowStore } from '../../../src/store/influx/influx-window-store.js';
import { useInfluxd } from '../../helpers/use-influxd.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Milliseconds between two reads of the outbox's health while influxd is down (its backlog and lag peaks). */
const HEALTH_SAMPLE_INTERVAL_MS = 500;

/** The outage the issue asks for (s): influxd stopped this long under load. */
const OUTAGE_S = 30;
const DEVICES = 10;
const WINDOWS_PER_POST = 20;
const T0 = Date.parse('2026-11-01T00:00:00Z');

const influxd = useInfluxd();

interface OutboxStatus {
  state: string;
  counters: { backlogWindows: number; lagUs: number; windowsWritten: number; writeErrorsUnavailable: number; submitsRefused: number };
}

async function outboxStatus(service: TestService): Promise<OutboxStatus> {
  const health = await request<{ sources: (OutboxStatus & { kind: string; name: string })[] }>(`${service.url}/api/health`);
  const source = health.body.sources.find((candidate) => candidate.kind === 'store' && candidate.name.startsWith('influx:'));
  if (source === undefined) throw new Error(`no outbox in /api/health: ${JSON.stringify(health.body.sources.map((s) => s.name))}`);
  return source;
}

const windowOf = (seq: number) => ({
  seq,
  startMs: T0 + seq * 1000,
  durationS: 1,
  energyJ: 0.001 * ((seq % 7) + 1),
  sampleCount: 100,
  minPowerW: 0.0005,
  maxPowerW: 0.01,
  inferenceCount: 1,
});

async function registerDevices(service: TestService, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const created = await request(`${service.url}/api/devices`, { method: 'POST', token: service.token, json: { id, system: 'kws-typical' } });
    expect(created.status).toBe(201);
  }
}

describe('outbox into InfluxDB', () => {
  it(`keeps acknowledging through a ${OUTAGE_S} s outage of influxd, then writes every window once`, { timeout: 240_000 }, async () => {
    const database = `outage_${process.pid}`;
    const service = await startTestService({ layers: [storeLayer] }, ['--store', 'influx', '--influx-url', influxd.url, '--influx-database', database]);
    const reader = new InfluxWindowStore({ url: influxd.url, database });
    let loading = true;
    try {
      const ids = Array.from({ length: DEVICES }, (_, index) => `out-${index}`);
      await registerDevices(service, ids);
      const acked = new Map<string, { windows: number; energyJ: number; lastSeq: number }>(ids.map((id) => [id, { windows: 0, energyJ: 0, lastSeq: -1 }]));
      const statuses: number[] = [];
      let phase = 'before' as 'before' | 'outage' | 'after';
      const outageStatuses: number[] = [];
      let nextSeq = 0;
      const load = (async () => {
        while (loading) {
          const seq0 = nextSeq;
          nextSeq += WINDOWS_PER_POST;
          for (const id of ids) {
            const windows = Array.from({ length: WINDOWS_PER_POST }, (_, index) => windowOf(seq0 + index));
            const response = await request<{ inserted: number }>(`${service.url}/api/devices/${id}/windows`, {
              method: 'POST',
              token: service.token,
              json: { windows },
            });
            statuses.push(response.status);
            if (phase === 'outage') outageStatuses.push(response.status);
            if (response.status !== 201) continue;
            const tally = acked.get(id) as { windows: number; energyJ: number; lastSeq: number };
            tally.windows += response.body.inserted;
            tally.energyJ += windows.reduce((sum, window) => sum + window.energyJ, 0);
            tally.lastSeq = seq0 + WINDOWS_PER_POST - 1;
          }
        }
      })();

      const t0 = Date.now();
      const at = () => ((Date.now() - t0) / 1000).toFixed(1);
      await waitFor('windows written to InfluxDB before the outage', async () => (await outboxStatus(service)).counters.windowsWritten >= 500);
      await influxd.stop();
      phase = 'outage';
      const stoppedAt = at();
      let maxBacklog = 0;
      let maxLagUs = 0;
      let sawRetrying = false;
      const outageEnds = Date.now() + OUTAGE_S * 1000;
      while (Date.now() < outageEnds) {
        const status = await outboxStatus(service);
        maxBacklog = Math.max(maxBacklog, status.counters.backlogWindows);
        maxLagUs = Math.max(maxLagUs, status.counters.lagUs);
        sawRetrying ||= status.state === 'retrying';
        await new Promise((resolve) => setTimeout(resolve, HEALTH_SAMPLE_INTERVAL_MS)); // sampling health while the outage lasts, not a wait for a condition
      }
      const duringOutage = await outboxStatus(service);
      await influxd.start();
      phase = 'after';
      const restartedAt = at();
      await waitFor(
        'more windows after the restart',
        async () => (await outboxStatus(service)).counters.windowsWritten > duringOutage.counters.windowsWritten + 500,
        {
          timeoutMs: 60_000,
        },
      );
      loading = false;
      await load;
      await waitFor('the backlog to drain', async () => (await outboxStatus(service)).counters.backlogWindows === 0, { timeoutMs: 60_000 });
      const drainedAt = at();
      const final = await outboxStatus(service);

      const inInflux = await reader.aggregates(ids);
      const sent = [...acked.values()].reduce((sum, tally) => sum + tally.windows, 0);
      console.log(
        `outage timeline: influxd stopped at ${stoppedAt} s, started at ${restartedAt} s, backlog drained at ${drainedAt} s; ` +
          `max backlog ${maxBacklog} windows, max lag ${(maxLagUs / 1e6).toFixed(1)} s, ${duringOutage.counters.writeErrorsUnavailable} failed writes; ` +
          `${sent} windows acknowledged (${outageStatuses.length} posts during the outage, all ${[...new Set(outageStatuses)].join('/')}), ${final.counters.windowsWritten} written`,
      );
      expect(new Set(statuses)).toEqual(new Set([201])); // the ack never waited for InfluxDB
      expect(outageStatuses.length).toBeGreaterThan(0);
      expect(sawRetrying).toBe(true);
      expect(maxBacklog).toBeGreaterThan(0);
      expect(maxLagUs).toBeGreaterThan(0);
      expect(duringOutage.counters.writeErrorsUnavailable).toBeGreaterThan(0);
      for (const id of ids) {
        const tally = acked.get(id) as { windows: number; energyJ: number; lastSeq: number };
        const point = inInflux.get(id);
        expect(point?.windows, id).toBe(tally.windows); // every window arrived, none twice
        expect(point?.maxSeq, id).toBe(tally.lastSeq);
        expect(point?.energyJ, id).toBeCloseTo(tally.energyJ, 9);
      }
      expect(final.counters.backlogWindows).toBe(0);
    } finally {
      loading = false;
      await reader.close();
      await service.close();
      if (!influxd.isRunning()) await influxd.start();
    }
  });

  it(
    'past the backlog cap ingest refuses with 503 + Retry-After, nothing stored, and admits again once the backlog drained',
    { timeout: 120_000 },
    async () => {
      const database = `cap_${process.pid}`;
      const service = await startTestService({ layers: [storeLayer] }, [
        '--store',
        'influx',
        '--influx-url',
        influxd.url,
        '--influx-database',
        database,
        '--mqtt-port',
        '0',
        '--outbox-backlog-cap',
        '100',
      ]);
      const reader = new InfluxWindowStore({ url: influxd.url, database });
      try {
        await registerDevices(service, ['cap-0']);
        await influxd.stop();
        const post = (seq0: number) =>
          request(`${service.url}/api/devices/cap-0/windows`, {
            method: 'POST',
            token: service.token,
            json: { windows: Array.from({ length: 50 }, (_, index) => windowOf(seq0 + index)) },
          });
        expect((await post(0)).status).toBe(201);
        expect((await post(50)).status).toBe(201);
        const refused = await fetch(`${service.url}/api/devices/cap-0/windows`, {
          method: 'POST',
          headers: { authorization: `Bearer ${service.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ windows: [windowOf(100)] }),
        });
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).not.toBeNull();
        expect(await refused.text()).toMatch(/the outbox is full: 100 windows wait/);
        expect((await outboxStatus(service)).counters).toMatchObject({ backlogWindows: 100, submitsRefused: 1 });
        // The writer lets a small batch linger (OUTBOX_LINGER_MS) before its first attempt fails.
        await waitFor('a failed write', async () => (await outboxStatus(service)).counters.writeErrorsUnavailable >= 1);
        const metrics = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${service.token}` } })).text();
        expect(metrics).toMatch(/^tinyml_outbox_backlog_windows\{source="influx:[^"]+"\} 100$/m);
        expect(metrics).toMatch(/^tinyml_outbox_submits_refused_total\{source="influx:[^"]+"\} 1$/m);
        expect(metrics).toMatch(/^tinyml_outbox_write_errors_unavailable_total\{source="influx:[^"]+"\} [1-9]/m);
        // The refused window was not stored: the local windows (per-window reads stay local with --store influx; the
        // device's aggregate would come from the unreachable InfluxDB) end at seq 99.
        const local = await request<{ windows: { seq: number }[] }>(`${service.url}/api/devices/cap-0/windows?limit=1000`);
        expect(local.body.windows.map((w) => w.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, seq) => seq));
        await influxd.start();
        await waitFor('the backlog to drain', async () => (await outboxStatus(service)).counters.backlogWindows === 0, { timeoutMs: 60_000 });
        expect((await post(100)).status).toBe(201);
        await waitFor('all 150 windows in InfluxDB', async () => (await reader.aggregates(['cap-0'])).get('cap-0')?.windows === 150, { timeoutMs: 30_000 });
      } finally {
        await reader.close();
        await service.close();
        if (!influxd.isRunning()) await influxd.start();
      }
    },
  );

  it('a restart with a backlog loses nothing: the next start resumes at the persisted cursor', { timeout: 120_000 }, async () => {
    const database = `restart_${process.pid}`;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-outbox-restart-'));
    const argv = [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--no-serial-discovery',
      '--store',
      'influx',
      '--influx-url',
      influxd.url,
      '--influx-database',
      database,
    ];
    const start = async () => {
      const service = await startService(loadServeConfig(argv, {}), { log: silentLogger, layers: [storeLayer] });
      return { service, url: `http://127.0.0.1:${service.port}`, token: service.apiToken, dataDir, close: () => service.close() } as TestService;
    };
    const reader = new InfluxWindowStore({ url: influxd.url, database });
    const post = (service: TestService, seq0: number) =>
      request(`${service.url}/api/devices/rs-0/windows`, {
        method: 'POST',
        token: service.token,
        json: { windows: Array.from({ length: 100 }, (_, index) => windowOf(seq0 + index)) },
      });
    try {
      const first = await start();
      await registerDevices(first, ['rs-0']);
      expect((await post(first, 0)).status).toBe(201);
      await waitFor('the first 100 windows written', async () => (await outboxStatus(first)).counters.windowsWritten === 100);
      await influxd.stop();
      expect((await post(first, 100)).status).toBe(201);
      expect((await post(first, 200)).status).toBe(201);
      await waitFor('a failed write', async () => (await outboxStatus(first)).counters.writeErrorsUnavailable > 0);
      expect((await outboxStatus(first)).counters.backlogWindows).toBe(200);
      await first.close(); // with 200 windows not yet in InfluxDB
      await influxd.start();
      const second = await start();
      try {
        await waitFor('the backlog of the first run to drain', async () => (await outboxStatus(second)).counters.backlogWindows === 0, { timeoutMs: 60_000 });
        // Resumed at the cursor: only the 200 windows of the backlog were written again, not the first 100.
        expect((await outboxStatus(second)).counters.windowsWritten).toBe(200);
        const inInflux = (await reader.aggregates(['rs-0'])).get('rs-0');
        expect(inInflux).toMatchObject({ windows: 300, maxSeq: 299 });
      } finally {
        await second.close();
      }
    } finally {
      await reader.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (!influxd.isRunning()) await influxd.start();
    }
  });
});
