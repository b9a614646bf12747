/** With --store influx the store layer snapshots every device's footprint into InfluxDB (measurement `footprint`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeLayer } from '../../../src/server/layers/store-layer.js';
import { startInfluxd, type TestInfluxd } from '../../helpers/influxd.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';

describe('store layer: footprint snapshots', () => {
  let influxd: TestInfluxd;
  let service: TestService;
  const database = 'footprints_test';

  beforeAll(async () => {
    influxd = await startInfluxd();
    service = await startTestService({ layers: [storeLayer] }, ['--store', 'influx', '--influx-url', influxd.url, '--influx-database', database]);
  });
  afterAll(async () => {
    await influxd?.close();
  });

  // The rounds themselves (every device, the fleet index's figures, into a real influxd) are tested in
  // test/dashboard/grafana-dashboards.int.test.ts and test/service/footprint-snapshots.test.ts; a round here would wait 60 s.
  it('registers a running footprint-snapshots source in health, with the family’s counters at 0 before the first round', async () => {
    const health = await request<{ sources: { name: string; kind: string; state: string; counters: Record<string, number> }[] }>(`${service.url}/api/health`);
    expect(health.status).toBe(200);
    const source = health.body.sources.find((s) => s.name === 'footprint-snapshots');
    expect(source).toMatchObject({ kind: 'store', state: 'writing' });
    expect(source?.counters).toEqual({ rounds: 0, points: 0, failedRounds: 0, skippedDevices: 0, lastRoundMs: 0 });
  });

  it('stops with the service: the source leaves health', async () => {
    await service.close();
    expect(service.service.context.health.snapshot().map((s) => s.name)).not.toContain('footprint-snapshots');
  });
});
