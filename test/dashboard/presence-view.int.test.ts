/**
 * The dashboard shows a device offline as soon as its last will fires (Chromium, embedded broker): a device reports
 * with a will, its connection is cut (socket destroyed), and the fleet row and the device view both read "offline"
 * through the live event stream, long before its last window would age past the 60 s online threshold; and so does a
 * device view whose stream subscribed only after the will had fired (the view reads the device again on the stream's hello).
 */
import { connectAsync, type MqttClient } from 'mqtt';
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/wait-for.js';
import { openBrowser, type Browser } from './browser.js';
import { startTestService, type TestService } from './service.js';

/** Far below the 60 s online threshold. */
const OFFLINE_WITHIN_MS = 20_000;

describe('device presence on the dashboard (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    svc = await startTestService({ mqttPort: port });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  async function connectDevice(deviceId: string): Promise<MqttClient> {
    const { password } = (await svc.postJson(`/api/devices/${deviceId}/mqtt-credentials`, {})) as { password: string };
    const status = `tinyml/lab/${deviceId}/status`;
    const device = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: deviceId,
      username: deviceId,
      password,
      clean: false,
      reconnectPeriod: 0,
      protocolVersion: 4,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await device.publishAsync(status, 'online', { qos: 1, retain: true });
    const startMs = Date.now() - 10_000;
    await device.publishAsync(
      `tinyml/lab/${deviceId}/window`,
      JSON.stringify({
        v: 1,
        type: 'window',
        seq: 1,
        start_ms: startMs,
        duration_ms: 10_000,
        energy_uj: 50_000,
        samples: 100,
        min_power_uw: 800,
        max_power_uw: 27_000,
        inferences: 3,
      }),
      { qos: 1 },
    );
    return device;
  }

  it('fleet row and device view turn offline when the connection dies', async () => {
    const { page } = browser;
    const fleetDevice = await connectDevice('will-fleet');
    await page.goto(`${svc.url}/`);
    const word = page.locator('#fleet-body [data-id="will-fleet"] .c-status .word');
    await word.waitFor();
    expect(await word.textContent()).toBe('online');
    fleetDevice.stream.destroy();
    await page.waitForFunction(() => document.querySelector('#fleet-body [data-id="will-fleet"] .c-status .word')?.textContent === 'offline', undefined, {
      timeout: OFFLINE_WITHIN_MS,
    });
    expect(await page.locator('#fleet-body [data-id="will-fleet"] .c-status').getAttribute('title')).toMatch(/^offline since .* by its MQTT status/);

    const viewed = await connectDevice('will-view');
    await page.goto(`${svc.url}/#/device/will-view`);
    await page.waitForFunction(() => document.getElementById('device-online')?.textContent === 'online');
    viewed.stream.destroy();
    await page.waitForFunction(() => document.getElementById('device-online')?.dataset['state'] === 'offline', undefined, { timeout: OFFLINE_WITHIN_MS });
    expect(await page.textContent('#device-online')).toMatch(/^offline since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(await page.getAttribute('#device-stats', 'data-state')).toBe('offline');
    expect(await page.locator('#device-stats .card.stale').count()).toBe(5);
    expect(browser.errors).toEqual([]);
  });

  it('a device view whose event stream connects after the last will fired still turns offline', async () => {
    const { page } = browser;
    const device = await connectDevice('will-late');
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    const holdStream = async (route: Route): Promise<void> => {
      held = true;
      await released;
      await route.continue();
    };
    await page.route('**/api/events?device=will-late', holdStream);
    try {
      await page.goto(`${svc.url}/#/device/will-late`);
      await page.waitForFunction(() => document.getElementById('device-online')?.textContent === 'online');
      expect(held).toBe(true);
      device.stream.destroy();
      // The will fires while the view's stream is not yet subscribed: the stream will never carry it.
      await waitFor('the service to report will-late offline', async () => {
        const response = await fetch(`${svc.url}/api/devices/will-late`);
        const body = (await response.json()) as { status: { presence: { state: string } | null } };
        return body.status.presence?.state === 'offline';
      });
      release();
      await page.waitForFunction(() => document.getElementById('device-online')?.dataset['state'] === 'offline', undefined, { timeout: OFFLINE_WITHIN_MS });
      expect(await page.textContent('#device-online')).toMatch(/^offline since /);
      expect(browser.errors).toEqual([]);
    } finally {
      release();
      await page.unroute('**/api/events?device=will-late', holdStream);
    }
  });
});
