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

  it('keeps the result beside the inputs on a desktop, while the last block is edited', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${svc.url}/#/calculator?system=kws-typical`);
      await page.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '2.66 kg');
      const lastBlock = page.locator('.blocks tbody tr:last-child select');
      await lastBlock.scrollIntoViewIfNeeded();
      expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0); // the form is longer than the screen
      const viewport = page.viewportSize()!;
      const total = (await page.locator('#calc-total').boundingBox())!;
      const form = (await page.locator('.calc-form').boundingBox())!;
      const block = (await lastBlock.boundingBox())!;
      expect(total.y).toBeGreaterThanOrEqual(0);
      expect(total.y + total.height).toBeLessThanOrEqual(viewport.height);
      expect(block.y + block.height).toBeLessThanOrEqual(viewport.height);
      expect(total.x).toBeGreaterThanOrEqual(form.x + form.width); // beside, not below
    } finally {
      await page.close();
    }
  });

  it("finds a grid by searching, grouped by source with each entry's year, and uses it", async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${svc.url}/#/calculator?system=kws-typical`);
      await page.waitForSelector('#calc-total');
      const all = (await (await fetch(`${svc.url}/api/catalogue/grids`)).json()) as { grids: { id: string; year: number | null }[] };
      expect(await page.textContent('#calc-grid-count')).toBe(`${all.grids.length} grids`);
      await page.fill('#calc-grid-search', 'france');
      await page.waitForFunction(() => document.querySelector('#calc-grid-count')?.textContent?.endsWith('grids match') === true);
      const groups = await page.$$eval('#calc-grid optgroup', (list) =>
        list.map((group) => ({ label: group.getAttribute('label'), options: Array.from(group.querySelectorAll('option'), (o) => [o.value, o.textContent]) })),
      );
      expect(groups).toEqual([
        { label: 'Electricity Maps yearly zones (2024) · 2024 · 1 of 352', options: [['em:FR', 'France (Electricity Maps 2024) — 0.033 kg/kWh']] },
      ]);
      // every word must match: code and year across datasets
      await page.fill('#calc-grid-search', 'fra 2024');
      await page.waitForFunction(() => document.querySelector('#calc-grid option[value="FRA"]') !== null);
      expect(await page.textContent('#calc-grid option[value="FRA"]')).toBe('FRA (Ember 2024) — 0.044 kg/kWh');
      await page.selectOption('#calc-grid', 'em:FR');
      const api = (await (await fetch(`${svc.url}/api/calculate?system=kws-typical&grid=em%3AFR`)).json()) as { totalKgCO2e: number };
      await page.waitForFunction((text) => document.querySelector('#calc-total')?.textContent === text, `${api.totalKgCO2e.toFixed(2)} kg`);
      expect(new URL(page.url()).hash).toBe('#/calculator?system=kws-typical&grid=em%3AFR');
      // the selected entry stays listed whatever the search says
      await page.fill('#calc-grid-search', 'no such grid');
      await page.waitForFunction((n) => document.querySelector('#calc-grid-count')?.textContent === `0 of ${n} grids match`, all.grids.length);
      expect(await page.inputValue('#calc-grid')).toBe('em:FR');
      expect(await page.$$eval('#calc-grid option', (list) => list.map((o) => (o as HTMLOptionElement).value))).toEqual(['', 'em:FR']);
      expect(browser.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows each error beside its field, in the unit of that field, and clears it when fixed', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${svc.url}/#/calculator?system=kws-typical`);
      await page.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '2.66 kg');
      await page.fill('#calc-power', '200000');
      await page.waitForFunction(() => (document.querySelector('#calc-power-error') as HTMLElement | null)?.hidden === false);
      expect(await page.textContent('#calc-power-error')).toBe('Average power is 200000 mW, above the 100000 mW (100 W) limit');
      expect(await page.getAttribute('#calc-power', 'aria-invalid')).toBe('true');
      expect(await page.getAttribute('#calc-power', 'aria-describedby')).toBe('calc-power-error');
      await page.fill('#calc-power', '-3');
      await page.waitForFunction(() => document.querySelector('#calc-power-error')?.textContent === 'Average power must be at least 0 mW');
      await page.fill('#calc-power', '27');
      await page.fill('#calc-years', '0');
      await page.waitForFunction(() => document.querySelector('#calc-years-error')?.textContent === 'Lifetime must be more than 0 years');
      expect(await page.isVisible('#calc-power-error')).toBe(false);
      await page.fill('#calc-power', '27');
      await page.fill('#calc-years', '5');
      const api = (await (await fetch(`${svc.url}/api/calculate?system=kws-typical&power=27mW&years=5`)).json()) as { totalKgCO2e: number };
      await page.waitForFunction((text) => document.querySelector('#calc-total')?.textContent === text, `${api.totalKgCO2e.toFixed(2)} kg`);
      expect(await page.isVisible('#calc-power-error')).toBe(false);
      expect(await page.isVisible('#calc-years-error')).toBe(false);
      expect(await page.getAttribute('#calc-power', 'aria-invalid')).toBeNull();
      expect(await page.$$eval('.calc-result.stale', (list) => list.length)).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('shows the result first on a phone, above the inputs', async () => {
    const phone = await browser.context.newPage();
    try {
      await phone.setViewportSize(PHONE_VIEWPORT);
      await phone.goto(`${svc.url}/#/calculator?system=kws-typical&power=27mW`);
      await phone.waitForSelector('#calc-total');
      const total = (await phone.locator('#calc-total').boundingBox())!;
      const api = (await (await fetch(`${svc.url}/api/calculate?system=kws-typical&power=27mW`)).json()) as {
        totalKgCO2e: number;
        comparison: { assumed: { totalKgCO2e: number } };
      };
      const delta = api.totalKgCO2e - api.comparison.assumed.totalKgCO2e;
      expect(await phone.textContent('#calc-vs-assumed')).toBe(
        `+${delta.toFixed(2)} kg (+${((delta / api.comparison.assumed.totalKgCO2e) * 100).toFixed(0)} %) against the same device at 1 mW (the seed's assumption, ${api.comparison.assumed.totalKgCO2e.toFixed(2)} kg)`,
      );
      const assumed = (await phone.locator('#calc-vs-assumed').boundingBox())!;
      const firstInput = (await phone.locator('#calc-system').boundingBox())!;
      expect(total.y + total.height).toBeLessThan(firstInput.y);
      // the headline and its comparison with the assumption are on the first screen
      expect(assumed.y + assumed.height).toBeLessThanOrEqual(PHONE_VIEWPORT.height);
    } finally {
      await phone.close();
    }
  });

  it("shows a number's source on a tap (touch has no hover), and closes it on a tap elsewhere or Escape", async () => {
    const phone = await browser.context.newPage();
    try {
      await phone.setViewportSize(PHONE_VIEWPORT);
      const cdp = await browser.context.newCDPSession(phone);
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
      const tap = async (x: number, y: number): Promise<void> => {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      };
      await phone.goto(`${svc.url}/#/calculator?system=kws-typical`);
      await phone.waitForFunction(() => document.querySelector('#calc-total')?.textContent === '2.66 kg');
      const useCard = phone.locator('.card:has(#calc-use)');
      const title = (await useCard.getAttribute('title'))!;
      expect(title).toMatch(/kg CO2e\/kWh\nepa-ghg-equivalencies/);
      const box = (await phone.locator('#calc-use').boundingBox())!;
      await tap(box.x + box.width / 2, box.y + box.height / 2);
      await phone.waitForSelector('#source-tip', { state: 'visible' });
      expect(await phone.locator('#source-tip').innerText()).toBe(title);
      expect(await useCard.getAttribute('aria-describedby')).toBe('source-tip');
      const tip = (await phone.locator('#source-tip').boundingBox())!;
      expect(tip.x).toBeGreaterThanOrEqual(0);
      expect(tip.x + tip.width).toBeLessThanOrEqual(PHONE_VIEWPORT.width);
      // a tap elsewhere closes it
      const heading = (await phone.locator('h1').boundingBox())!;
      await tap(heading.x + 5, heading.y + 5);
      await phone.waitForSelector('#source-tip', { state: 'hidden' });
      expect(await useCard.getAttribute('aria-describedby')).toBeNull();
      await tap(box.x + box.width / 2, box.y + box.height / 2);
      await phone.waitForSelector('#source-tip', { state: 'visible' });
      await phone.keyboard.press('Escape');
      await phone.waitForSelector('#source-tip', { state: 'hidden' });
      // a form control keeps its tap: the preset select has a source title too, and opens no panel
      expect(await phone.locator('#calc-system').getAttribute('title')).not.toBe('');
      const preset = (await phone.locator('#calc-system').boundingBox())!;
      await tap(preset.x + 10, preset.y + preset.height / 2);
      await tap(box.x + box.width / 2, box.y + box.height / 2); // and the next tap on a number still opens one
      await phone.waitForSelector('#source-tip', { state: 'visible' });
      expect(await phone.locator('#calc-system').getAttribute('aria-describedby')).not.toContain('source-tip');
    } finally {
      await phone.close();
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
