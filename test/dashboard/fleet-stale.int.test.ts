/**
 * A fleet going quiet reads as stale on the dashboard (Chromium, embedded broker): three HTTP devices and one MQTT
 * device (status "online", a last will) report windows that end just inside the 60 s online threshold, then stop.
 * Within the status latency after the threshold passes, the header, the cards and the rows say so: the HTTP devices
 * offline, the MQTT device stale (connected but silent), the header "stale"; when its connection dies, its will makes it offline.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONLINE_THRESHOLD_MS } from '../../src/live/device-presence.js';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/wait-for.js';
import { openBrowser, type Browser } from './browser.js';
import { screenshotPath } from './screenshots.js';
import { startTestService, type TestService } from './service.js';

/** How far inside the online threshold the last windows end: long enough to see the fleet online first (ms). */
const LEAD_MS = 12_000;
/**
 * How late after the threshold passes the dashboard may say so (ms): the header's overview poll (2 s), the table's
 * page reload (2 s) and its clock repaint (1 s), with slack for a busy 2-core machine.
 */
const STATUS_LATENCY_MS = 10_000;

describe('a fleet going offline on the dashboard (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let port: number;
  let mqttDevice: MqttClient | undefined;

  beforeAll(async () => {
    port = await freePort();
    svc = await startTestService({ mqttPort: port });
    browser = await openBrowser();
  });
  afterAll(async () => {
    mqttDevice?.end(true);
    await browser?.close();
    await svc?.close();
  });

  it('turns header, cards and rows stale within the status latency, and offline when the last will fires', async () => {
    const lastEndMs = Date.now() - ONLINE_THRESHOLD_MS + LEAD_MS;
    for (const id of ['quiet-0', 'quiet-1', 'quiet-2']) {
      await svc.registerDevice({ id, fleet: 'north' });
      await svc.postWindows(id, [{ seq: 0, startMs: lastEndMs - 10_000, durationS: 10, energyJ: 0.02 }]);
    }
    const { password, topicPrefix } = (await svc.postJson('/api/devices/quiet-mqtt/mqtt-credentials', { fleet: 'south' })) as {
      password: string;
      topicPrefix: string;
    };
    const status = `${topicPrefix}/status`;
    mqttDevice = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'quiet-mqtt',
      username: 'quiet-mqtt',
      password,
      clean: false,
      reconnectPeriod: 0,
      protocolVersion: 4,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await mqttDevice.publishAsync(status, 'online', { qos: 1, retain: true });
    await mqttDevice.publishAsync(
      `${topicPrefix}/window`,
      JSON.stringify({
        v: 1,
        type: 'window',
        seq: 1,
        start_ms: lastEndMs - 10_000,
        duration_ms: 10_000,
        energy_uj: 20_000,
        samples: 100,
        min_power_uw: 1_000,
        max_power_uw: 4_000,
        inferences: 2,
      }),
      { qos: 1 },
    );
    await waitFor('the MQTT window stored', async () => {
      const res = await fetch(`${svc.url}/api/fleet/overview`);
      return ((await res.json()) as { states: { online: number } }).states.online === 4;
    });

    const { page } = browser;
    await page.goto(`${svc.url}/#/fleet`);
    const states = () =>
      page.evaluate(() => ({
        header: document.getElementById('fleet-state')?.dataset['state'],
        headerText: document.getElementById('fleet-state')?.textContent,
        cards: document.getElementById('fleet-totals')?.dataset['state'],
        devicesCard: document.querySelector('#fleet-devices')?.parentElement?.querySelector('.card-sub')?.textContent,
        powerCard: document.querySelector('#fleet-power')?.parentElement?.querySelector('.card-sub')?.textContent,
        rows: Object.fromEntries(
          Array.from(document.querySelectorAll<HTMLElement>('#fleet-body [role="row"]')).map((row) => [
            row.dataset['id'],
            `${row.dataset['state']}/${row.querySelector('.c-status .word')?.textContent}`,
          ]),
        ),
      }));
    // Before the threshold passes: live everywhere.
    await page.waitForFunction(
      // The cards come from the first page, the header from its own poll: wait for both, not the first of them.
      () =>
        document.getElementById('fleet-state')?.dataset['state'] === 'online' &&
        document.getElementById('fleet-totals')?.dataset['state'] === 'online' &&
        document.querySelectorAll('#fleet-body [role="row"]').length === 4,
    );
    const before = await states();
    expect(Date.now()).toBeLessThan(lastEndMs + ONLINE_THRESHOLD_MS); // the check above ran while every device was still fresh
    expect(before.headerText).toBe('4 of 4 online');
    expect(before.cards).toBe('online');
    expect(Object.values(before.rows)).toEqual(['online/online', 'online/online', 'online/online', 'online/online']);

    // After it: stale, within the status latency.
    const expiryMs = lastEndMs + ONLINE_THRESHOLD_MS;
    await page.waitForFunction(
      () => {
        const rows = Array.from(document.querySelectorAll<HTMLElement>('#fleet-body [role="row"]'));
        const byId = Object.fromEntries(rows.map((row) => [row.dataset['id'], row.dataset['state']]));
        return (
          document.getElementById('fleet-state')?.dataset['state'] === 'stale' &&
          document.getElementById('fleet-totals')?.dataset['state'] === 'stale' &&
          byId['quiet-0'] === 'offline' &&
          byId['quiet-1'] === 'offline' &&
          byId['quiet-2'] === 'offline' &&
          byId['quiet-mqtt'] === 'stale'
        );
      },
      undefined,
      { timeout: expiryMs - Date.now() + STATUS_LATENCY_MS, polling: 100 },
    );
    const after = await states();
    expect(after.headerText).toMatch(/^stale · 0 of 4 online · 1 stale · last data \d+ s ago$/);
    expect(after.devicesCard).toBe('0 online · 1 stale · 3 offline');
    expect(after.powerCard).toMatch(/^stale: no data for \d+ s$/);
    expect(after.rows['quiet-mqtt']).toBe('stale/stale');
    expect(after.rows['quiet-0']).toBe('offline/offline');
    expect(await page.locator('#fleet-body [data-id="quiet-mqtt"] .c-status').getAttribute('title')).toMatch(/^stale since \d{4}-/);
    expect(await page.locator('#fleet-groups tr[data-fleet="south"] td').nth(2).textContent()).toBe('0 · 1 · 0');
    await page.screenshot({ path: screenshotPath('fleet-stale'), fullPage: true });

    // Its connection dies: the last will makes it offline too.
    mqttDevice.stream.destroy();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#fleet-body [data-id="quiet-mqtt"]')?.dataset['state'] === 'offline', undefined, {
      timeout: STATUS_LATENCY_MS + 10_000,
    });
    await page.waitForFunction(() => document.getElementById('fleet-state')?.textContent?.startsWith('stale · 0 of 4 online · last data') === true);
    expect(browser.errors).toEqual([]);
  });
});
