/**
 * Scale-out with real processes (issue 12, Done when): one Mosquitto, one influxd, two `serve --store influx` instances
 * on one shared subscription (test/helpers/cluster.ts). The fleet simulator publishes 10 000 windows from 500 devices;
 * instance A is SIGKILLed mid-stream and started again on its data directory. Then GET /api/fleet on either instance
 * equals the exact sums of what was published — every window once, none lost, none doubled — and each device's
 * embodied footprint is counted once (both instances answer the same totals, equal to the sum of their rows).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectedTotals, simDeviceId } from '../../src/sim/fleet/fleet-profile.js';
import { startCluster, type ClusterInstance, type TestCluster } from '../helpers/cluster.js';
import { request } from '../helpers/service.js';
import { waitFor } from '../helpers/wait-for.js';
import { startSimulator, storedWindowsOrZero } from '../ingest/mqtt/processes.js';

const DEVICES = 500;
const WINDOWS_PER_DEVICE = 20;
const TOTAL = DEVICES * WINDOWS_PER_DEVICE;
const WINDOW_MS = 10_000;
const PREFIX = 'scale';
/** A's stored windows at which it is killed: well into the stream, well before its end. */
const KILL_AFTER_STORED = TOTAL / 8;

interface FleetRow {
  id: string;
  windows: number;
  energyJ: number;
  totalKgCO2e: number;
}

async function subscribed(instance: ClusterInstance): Promise<void> {
  await waitFor(`${instance.name} subscribed`, () => /session (new|resumed)/.test(instance.process.output()), { timeoutMs: 60_000 });
}

async function fleetOf(instance: ClusterInstance) {
  return (await request(`${instance.process.httpUrl}/api/fleet?q=${PREFIX}-&limit=1000`)).body;
}

describe('two instances, one shared subscription, one InfluxDB', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('either instance answers the exact sums of what was published, after one was SIGKILLed mid-stream', async () => {
    cluster = await startCluster({
      instances: 2,
      serveArgs: () => ['--influx-database', 'scale_out'],
    });
    const [a, b] = cluster.instances as [ClusterInstance, ClusterInstance];
    for (const instance of [a, b]) await subscribed(instance);

    const simulator = startSimulator([
      '--url',
      cluster.broker.url,
      '--devices',
      String(DEVICES),
      '--count',
      String(WINDOWS_PER_DEVICE),
      '--interval',
      '0',
      '--window',
      `${WINDOW_MS}ms`,
      '--device-prefix',
      PREFIX,
      '--protocol',
      '5',
    ]);
    await waitFor('A to store part of the stream', () => storedWindowsOrZero(a.dataDir) >= KILL_AFTER_STORED, { timeoutMs: 120_000, intervalMs: 20 });
    expect(await a.process.kill('SIGKILL')).toBe('SIGKILL');
    const result = await simulator.result;
    expect(result).toMatchObject({ published: TOTAL, acked: TOTAL, unacked: 0 });
    await cluster.restartInstance(a);
    await subscribed(a);

    const expected = new Map<string, { windows: number; energyUj: number }>();
    for (let index = 1; index <= DEVICES; index += 1) {
      const totals = expectedTotals(index, 0, WINDOWS_PER_DEVICE, WINDOW_MS);
      expected.set(simDeviceId(PREFIX, index), { windows: totals.windows, energyUj: totals.energyUj });
    }
    const expectedEnergyUj = [...expected.values()].reduce((sum, totals) => sum + totals.energyUj, 0);
    const answers = [];
    for (const instance of [a, b]) {
      const fleet = await waitFor(
        `${instance.name} to answer every window`,
        async () => {
          const body = await fleetOf(instance);
          const windows = (body.rows as FleetRow[] | undefined)?.reduce((sum, row) => sum + row.windows, 0);
          return body.matched === DEVICES && windows === TOTAL ? body : null;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      for (const row of fleet.rows as FleetRow[]) {
        expect({ id: row.id, windows: row.windows, energyUj: Math.round(row.energyJ * 1e6) }).toEqual({ id: row.id, ...expected.get(row.id) });
      }
      expect(Math.round((fleet.rows as FleetRow[]).reduce((sum, row) => sum + row.energyJ, 0) * 1e6)).toBe(expectedEnergyUj);
      answers.push(fleet);
    }
    // One fleet truth: the same rows on both, each device's footprint (its embodied part included) once in the totals.
    // Presence (MQTT status messages) is what each instance heard itself, so `presence` and `online` may differ
    // (docs/fleet-truth.md); accrued figures are computed at each request's time.
    const shared = (rows: Record<string, unknown>[]) => rows.map(({ presence: _p, online: _o, accruedKgCO2e: _a, ...row }) => row);
    expect(shared(answers[1].rows)).toEqual(shared(answers[0].rows));
    const all = [await request(`${a.process.httpUrl}/api/fleet?rows=false`), await request(`${b.process.httpUrl}/api/fleet?rows=false`)].map((r) => r.body);
    expect(all[0].devices).toBe(DEVICES);
    expect(all[1].devices).toBe(DEVICES);
    const rowsTotal = (answers[0].rows as FleetRow[]).reduce((sum, row) => sum + row.totalKgCO2e, 0);
    for (const totals of all) {
      expect(totals.totalKgCO2e).toBeCloseTo(rowsTotal, 9);
      expect(totals.syncIntervalMs).toBeGreaterThan(0);
    }
    // Both instances took part: the shared subscription split the stream.
    expect(storedWindowsOrZero(a.dataDir)).toBeGreaterThan(0);
    expect(storedWindowsOrZero(b.dataDir)).toBeGreaterThan(0);
  }, 420_000);
});
