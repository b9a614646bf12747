import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MQTT_PREFIX } from '../../src/ingest/mqtt/topics.js';
import { runFleetSimulator } from '../../src/sim/fleet/fleet-simulator.js';
import { simDeviceId } from '../../src/sim/fleet/fleet-profile.js';
import { freePort } from '../helpers/free-port.js';
import { openBrowser, type Browser } from './browser.js';
import { startTestService, type TestService } from './service.js';

/** Windows the simulator publishes, one every SIM_INTERVAL_MS. */
const SIM_WINDOWS = 8;
/** Milliseconds between simulated windows: several flush intervals, so the page sees them arrive one by one. */
const SIM_INTERVAL_MS = 400;
const FLEET = 'lab';
const PREFIX = 'bench';

describe('device view fed by the MQTT fleet simulator (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let mqttPort: number;
  const deviceId = simDeviceId(PREFIX, 1);

  beforeAll(async () => {
    mqttPort = await freePort();
    svc = await startTestService({ mqttPort });
    await svc.registerDevice({ id: deviceId, fleet: FLEET, deployedAt: new Date(Date.now() - 86_400_000).toISOString() });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it("shows the simulator's windows as they arrive: chart points, power and footprint, without a reload", async () => {
    const credentials = (await svc.postJson(`/api/devices/${deviceId}/mqtt-credentials`, { fleet: FLEET })) as { password: string };
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/${deviceId}`);
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '0 windows');
    expect(await page.textContent('#device-power')).toBe('1.00 mW'); // the assumption, until the device reports
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    const result = await runFleetSimulator({
      url: `mqtt://127.0.0.1:${mqttPort}`,
      devices: 1,
      count: SIM_WINDOWS,
      intervalMs: SIM_INTERVAL_MS,
      // Each window covers the time since the previous one: 10 s windows every 400 ms would claim overlapping time,
      // which the store refuses (SPEC.md §7.3).
      windowMs: SIM_INTERVAL_MS,
      firstSeq: 0,
      epochMs: Date.now(),
      fleet: FLEET,
      devicePrefix: PREFIX,
      topicPrefix: DEFAULT_MQTT_PREFIX,
      passwords: new Map([[deviceId, credentials.password]]),
      protocolVersion: 4,
    });
    expect(result.acked).toBe(SIM_WINDOWS);

    await page.waitForFunction((n) => document.querySelector('#device-points')?.textContent?.startsWith(`${n} windows · `) === true, SIM_WINDOWS);
    const api = (await (await fetch(`${svc.url}/api/devices/${deviceId}/footprint`)).json()) as {
      aggregate: { windows: number; energyJ: number; observedS: number };
      footprint: { totalKgCO2e: number; power: { kind: string } };
    };
    expect(api.aggregate.windows).toBe(SIM_WINDOWS);
    expect(api.footprint.power.kind).toBe('measured');
    const powerW = api.aggregate.energyJ / api.aggregate.observedS;
    await page.waitForFunction((text) => document.querySelector('#device-total')?.textContent === text, `${api.footprint.totalKgCO2e.toFixed(2)} kg`);
    const milliwatts = powerW * 1000; // the dashboard's mW format: 3 significant figures from 1 mW up
    const expectedPower = `${milliwatts.toFixed(milliwatts >= 100 ? 0 : milliwatts >= 10 ? 1 : 2)} mW`;
    expect(milliwatts).toBeGreaterThanOrEqual(1);
    expect(milliwatts).toBeLessThan(1000);
    await page.waitForFunction((text) => document.querySelector('#device-power')?.textContent === text, expectedPower);
    const metrics = await page.evaluate(() => (window as unknown as { __dashboard: { events: number; pointsReceived: number } }).__dashboard);
    expect(metrics.pointsReceived).toBe(SIM_WINDOWS);
    expect(metrics.events).toBeGreaterThan(1); // windows arrived over several pushes, not one reload
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(browser.errors).toEqual([]);
  });
});
