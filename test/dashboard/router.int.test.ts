import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './browser.js';
import { startTestService, type TestService } from './service.js';

/**
 * The router: every view's state is in its URL (a link or a reload shows the same thing), and going back to a view
 * through the header or a view's back link shows it as it was left, not its defaults.
 */

/** Seconds per window. */
const WINDOW_S = 10;

describe('router: view state in the URL, kept across views (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    svc = await startTestService();
    const now = Date.now();
    for (const [i, id] of ['alpha', 'bravo', 'charlie', 'delta'].entries()) {
      await svc.registerDevice({ id, fleet: i < 2 ? 'north' : 'south', system: 'kws-typical' });
      const powerW = (i + 1) / 1000;
      await svc.postWindows(
        id,
        Array.from({ length: 3 }, (_, k) => ({ seq: k, startMs: now - (3 - k) * WINDOW_S * 1000, durationS: WINDOW_S, energyJ: powerW * WINDOW_S })),
      );
    }
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('returns to the fleet as it was left (sort, filter) from a device page, by the header and by the back link', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/fleet`);
    await page.waitForFunction(() => document.querySelectorAll('#fleet-body [role="row"]').length === 4);
    await page.click('button[data-sort="power"]');
    await page.click('button[data-sort="power"]');
    await page.fill('#fleet-filter', 'south');
    const fleetHash = '#/fleet?sort=power&dir=desc&q=south';
    await page.waitForFunction((hash) => location.hash === hash, fleetHash);
    await page.waitForFunction(() => document.querySelectorAll('#fleet-body [role="row"]').length === 2);

    await page.click('#fleet-body [data-id="delta"] .c-id a');
    await page.waitForFunction(() => location.hash === '#/device/delta' && document.querySelector('#device-power') !== null);
    expect(await page.getAttribute('a[data-nav="fleet"]', 'href')).toBe(fleetHash);
    await page.click('a[data-nav="fleet"]');
    await page.waitForFunction((hash) => location.hash === hash, fleetHash);
    await page.waitForFunction(() => document.querySelectorAll('#fleet-body [role="row"]').length === 2);
    expect(await page.inputValue('#fleet-filter')).toBe('south');
    expect(await page.getAttribute('[role="columnheader"]:has(button[data-sort="power"])', 'aria-sort')).toBe('descending');
    // on the fleet itself its header link starts it afresh
    expect(await page.getAttribute('a[data-nav="fleet"]', 'href')).toBe('#/fleet');

    // the device page's plain "#/fleet" back link goes to the same state
    await page.click('#fleet-body [data-id="charlie"] .c-id a');
    await page.waitForFunction(() => location.hash === '#/device/charlie' && document.querySelector('#device-power') !== null);
    await page.click('main a[href="#/fleet"]');
    await page.waitForFunction((hash) => location.hash === hash, fleetHash);
    // and Back still walks the history: the device page, then the fleet before it
    await page.goBack();
    await page.waitForFunction(() => location.hash === '#/device/charlie');
    expect(browser.errors).toEqual([]);
  });

  it('keeps the calculator as it was left while another view is open, and a reload shows the same state', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/calculator?system=ic-worst`);
    await page.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '7.06 kg');
    await page.fill('#calc-power', '12');
    const calcHash = '#/calculator?system=ic-worst&power=12mW';
    await page.waitForFunction((hash) => location.hash === hash, calcHash);
    await page.click('a[data-nav="fleet"]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet-body [role="row"]').length > 0);
    expect(await page.getAttribute('a[data-nav="calculator"]', 'href')).toBe(calcHash);
    await page.click('a[data-nav="calculator"]');
    await page.waitForFunction((hash) => location.hash === hash, calcHash);
    await page.waitForSelector('#calc-total');
    expect(await page.inputValue('#calc-power')).toBe('12');
    expect(await page.inputValue('#calc-system')).toBe('ic-worst');
    const api = (await (await fetch(`${svc.url}/api/calculate?system=ic-worst&power=12mW`)).json()) as { totalKgCO2e: number };
    await page.reload();
    await page.waitForFunction((text) => document.querySelector('#calc-total')?.textContent === text, `${api.totalKgCO2e.toFixed(2)} kg`);
    expect(await page.inputValue('#calc-power')).toBe('12');
    expect(browser.errors).toEqual([]);
  });

  it('a view whose data comes after the next view was shown does not take the page over from it', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${svc.url}/#/fleet`);
      await page.waitForFunction(() => document.querySelectorAll('#fleet-body [role="row"]').length > 0);
      // The device page's footprint is held back until the calculator is on screen.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/devices/delta/footprint', async (route) => {
        await held;
        await route.continue();
      });
      await page.evaluate(() => {
        const w = window as unknown as { sawDevice: boolean };
        w.sawDevice = false;
        new MutationObserver(() => {
          if (document.querySelector('#device-power') !== null) w.sawDevice = true;
        }).observe(document.getElementById('main')!, { childList: true, subtree: true });
      });
      await page.evaluate(() => (location.hash = '#/device/delta'));
      await page.waitForRequest('**/api/devices/delta/footprint');
      await page.evaluate(() => (location.hash = '#/calculator?system=ic-worst'));
      await page.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '7.06 kg');
      release();
      // The device view's late mount writes into the page (seen), then the calculator is back, and stays.
      await page.waitForFunction(() => (window as unknown as { sawDevice: boolean }).sawDevice);
      await page.waitForFunction(() => document.querySelector('#device-power') === null && document.querySelector('#calc-total')?.textContent === '7.06 kg');
      expect(await page.evaluate(() => location.hash)).toBe('#/calculator?system=ic-worst');
      expect(await page.inputValue('#calc-system')).toBe('ic-worst');
    } finally {
      await page.close();
    }
  });
});
