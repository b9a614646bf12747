import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, PHONE_VIEWPORT, type Browser } from './browser.js';
import { screenshotPath } from './screenshots.js';
import { startTestService, type TestService } from './service.js';

/** The seed table's five systems and totals (harvard-edge/TinyML-Footprint, kg CO2e, 1 mW for 3 years). */
const SEED_TOTALS: [string, string][] = [
  ['kws-best', '0.89 kg'],
  ['kws-typical', '2.66 kg'],
  ['ad-typical', '2.67 kg'],
  ['ic-typical', '3.41 kg'],
  ['ic-worst', '7.06 kg'],
];

describe('calculator view (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    svc = await startTestService();
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('reproduces the five seed totals from the presets', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/calculator`);
    await page.waitForSelector('#calc-total');
    for (const [system, total] of SEED_TOTALS) {
      await page.selectOption('#calc-system', system);
      await page.waitForFunction((expected) => document.querySelector('#calc-total')?.textContent === expected, total);
      expect(page.url()).toBe(`${svc.url}/#/calculator?system=${system}`);
    }
    expect(browser.errors).toEqual([]);
  });

  it('changes the breakdown when a block level changes, keeps the state in a shareable URL', async () => {
    const { page } = browser;
    await page.selectOption('#calc-system', 'kws-typical');
    await page.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '2.66 kg');
    // processing: standalone MCU (0.17 kg) → application processor, level 1 (0.66 kg): +0.49 kg
    await page.selectOption('#calc-block-processing', '1');
    await page.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '3.15 kg');
    expect(await page.textContent('#calc-block-kg-processing')).toBe('0.66');
    expect(await page.textContent('#calc-stages [data-stage="processing"] td')).toBe('0.66');
    expect(page.url()).toBe(`${svc.url}/#/calculator?system=kws-typical&blocks=processing%3A1`);

    // a custom kg value for the casing, 27 mW, 5 years on the French grid
    await page.selectOption('#calc-block-casing', 'custom');
    await page.fill('#calc-kg-casing', '0.5');
    await page.fill('#calc-power', '27');
    await page.fill('#calc-years', '5');
    await page.selectOption('#calc-grid', 'FRA');
    const query = 'system=kws-typical&blocks=casing%3D0.5%2Cprocessing%3A1&power=27mW&grid=FRA&years=5';
    await page.waitForFunction((expected) => location.hash === `#/calculator?${expected}`, query);
    const api = (await (await fetch(`${svc.url}/api/calculate?${query}`)).json()) as { totalKgCO2e: number };
    const expected = `${api.totalKgCO2e.toFixed(2)} kg`;
    await page.waitForFunction((text) => document.querySelector('#calc-total')?.textContent === text, expected);
    await page.screenshot({ path: screenshotPath('calculator'), fullPage: true });

    // the shared link, opened in a fresh page, shows the same result and form state
    const shared = await browser.context.newPage();
    await shared.goto(page.url());
    await shared.waitForFunction((text) => document.querySelector('#calc-total')?.textContent === text, expected);
    expect(await shared.inputValue('#calc-power')).toBe('27');
    expect(await shared.inputValue('#calc-block-processing')).toBe('1');
    expect(await shared.inputValue('#calc-kg-casing')).toBe('0.5');
    expect(await shared.inputValue('#calc-grid')).toBe('FRA');
    await shared.close();
  });

  it('a link with unreadable block overrides says so and never rounds a level; the readable ones apply', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${svc.url}/#/calculator?system=kws-typical&blocks=processing%3A1.5%2Ccasing%3D0.5%2Cbogus%2Cmemory%3D-1`);
      const api = (await (await fetch(`${svc.url}/api/calculate?system=kws-typical&blocks=casing%3D0.5`)).json()) as { totalKgCO2e: number };
      await page.waitForFunction((text) => document.querySelector('#calc-total')?.textContent === text, `${api.totalKgCO2e.toFixed(2)} kg`);
      expect(await page.isVisible('#calc-blocks-error')).toBe(true);
      expect(await page.locator('#calc-blocks-error li').allTextContents()).toEqual([
        'block override "processing:1.5": a level is an integer',
        'block override "bogus": use block:level or block=kgCO2e',
        'block override "memory=-1": value must be a finite number ≥ 0',
      ]);
      // Not truncated to level 1: the preset's level stays selected.
      expect(await page.inputValue('#calc-block-processing')).toBe('0');
      expect(await page.inputValue('#calc-kg-casing')).toBe('0.5');
      // Same wording as the server for the same text.
      const server = (await (await fetch(`${svc.url}/api/calculate?system=kws-typical&blocks=processing%3A1.5`)).json()) as { detail: string };
      expect(server.detail).toBe('block override "processing:1.5": a level is an integer');
      // Editing the form rewrites the link without the unreadable parts, and the notice goes.
      await page.selectOption('#calc-grid', 'FRA');
      await page.waitForFunction(() => (document.querySelector('#calc-blocks-error') as HTMLElement | null)?.hidden === true);
      expect(new URL(page.url()).hash).toBe('#/calculator?system=kws-typical&blocks=casing%3D0.5&grid=FRA');
      expect(browser.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('fits a phone screen', async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize(PHONE_VIEWPORT);
    await phone.goto(`${svc.url}/#/calculator?system=ic-worst`);
    await phone.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '7.06 kg');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await phone.screenshot({ path: screenshotPath('calculator-phone'), fullPage: true });
    await phone.close();
  });
});
