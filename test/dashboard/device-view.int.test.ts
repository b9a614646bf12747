import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './browser.js';
import { screenshotPath } from './screenshots.js';
import { startTestService, type TestService, type WindowInput } from './service.js';
import { energyRunnerSession } from '../helpers/energyrunner-session.js';

/** Seconds per simulated window, as the firmware default. */
const WINDOW_S = 10;

function windows(firstSeq: number, count: number, startMs: number, powerW: (k: number) => number): WindowInput[] {
  return Array.from({ length: count }, (_, k) => ({
    seq: firstSeq + k,
    startMs: startMs + k * WINDOW_S * 1000,
    durationS: WINDOW_S,
    energyJ: powerW(k) * WINDOW_S,
    sampleCount: 10_000,
    inferenceCount: 10,
  }));
}

describe('device view (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  const t0 = Date.now() - 40 * WINDOW_S * 1000;

  beforeAll(async () => {
    svc = await startTestService();
    await svc.registerDevice({ id: 'bench-1', name: 'Bench board', system: 'kws-typical', deployedAt: new Date(Date.now() - 100 * 86_400_000).toISOString() });
    // 30 windows at exactly 2 mW
    await svc.postWindows(
      'bench-1',
      windows(0, 30, t0, () => 0.002),
    );
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('shows live power and footprint, and updates both on screen as windows arrive, without a reload', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/bench-1`);
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '30 points · latest 2.00 mW');
    expect(await page.textContent('#device-power')).toBe('2.00 mW');
    expect(await page.textContent('#device-energy')).toBe('0.60 J');
    expect(await page.textContent('#device-coverage')).toBe('100 %');
    const before = (await (await fetch(`${svc.url}/api/devices/bench-1/footprint`)).json()) as { footprint: { totalKgCO2e: number } };
    expect(await page.textContent('#device-total')).toBe(`${before.footprint.totalKgCO2e.toFixed(2)} kg`);
    expect(await page.textContent('#device-stages-total')).toBe(before.footprint.totalKgCO2e.toFixed(2));
    expect(await page.textContent('#device-cmp-apple-watch-s7')).toBe('34.00 kg');
    expect(await page.textContent('#device-cmp-macbook-pro-16-2021')).toBe('349.00 kg');
    expect(await page.textContent('#device-cmp-assumed')).toBe('2.66 kg');
    // 0.02 J per window over its 10 inferences, from the counts alone: and it says so.
    expect(await page.textContent('#device-per-inference')).toBe('2.000 mJ');
    expect(await page.locator('.card:has(#device-per-inference)').textContent()).toMatch(/aggregate \(counts only\) · SCI .* CO2e/);
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    // 10 more windows at 302 mW: average (30×0.02 J + 10×3.02 J) / 400 s = 0.077 W
    await svc.postWindows(
      'bench-1',
      windows(30, 10, t0 + 30 * WINDOW_S * 1000, () => 0.302),
    );
    await page.waitForFunction(() => document.querySelector('#device-power')?.textContent === '77.0 mW');
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '40 points · latest 302.00 mW');
    expect(await page.textContent('#device-energy')).toBe('30.80 J');
    await page.waitForFunction(() => document.querySelector('#device-per-inference')?.textContent === '77.00 mJ'); // 30.80 J / 400
    const after = (await (await fetch(`${svc.url}/api/devices/bench-1/footprint`)).json()) as {
      footprint: { totalKgCO2e: number; battery: { replacements: number } };
    };
    expect(after.footprint.totalKgCO2e).toBeGreaterThan(before.footprint.totalKgCO2e);
    await page.waitForFunction((text) => document.querySelector('#device-total')?.textContent === text, `${after.footprint.totalKgCO2e.toFixed(2)} kg`);
    expect(await page.textContent('#device-battery')).toContain(`${after.footprint.battery.replacements} replacement(s)`);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    const metrics = await page.evaluate(() => (window as unknown as { __dashboard: { events: number; pointsReceived: number } }).__dashboard);
    expect(metrics.pointsReceived).toBe(10);
    expect(browser.errors).toEqual([]);
    await page.screenshot({ path: screenshotPath('device'), fullPage: true });
  });

  it('an imported EnergyRunner session shows its MLPerf Tiny median per inference', async () => {
    await svc.registerDevice({ id: 'er-1', system: 'kws-typical' });
    const session = energyRunnerSession({
      windows: [100, 120, 110, 400, 105].map((uj) => ({ inferences: 50, energyPerInferenceUJ: uj, inferenceSamples: 4 })),
    });
    const files = session.files.filter((f) => f.name !== 'results.txt').map((f) => ({ name: f.name, contentBase64: Buffer.from(f.bytes).toString('base64') }));
    const imported = await fetch(`${svc.url}/api/devices/er-1/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${svc.token}` },
      body: JSON.stringify({ files }),
    });
    expect(imported.status).toBe(201);
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/er-1`);
    await page.waitForFunction(() => document.querySelector('#device-per-inference')?.textContent === '110.0 µJ');
    expect(await page.locator('.card:has(#device-per-inference)').textContent()).toMatch(/median of 5 windows · SCI/);
    expect(await page.locator('.card:has(#device-per-inference)').getAttribute('title')).toMatch(/^SCI = \(E·I \+ M\) per R: E 110\.0 µJ, I /);
    expect(browser.errors).toEqual([]);
  });

  it("labels the assumed power with the catalogue's value, not a hard-coded 1 mW", async () => {
    const page = await browser.context.newPage();
    try {
      // Serve a catalogue whose assumption is 2.5 mW: every label naming the assumption must follow it.
      await page.route('**/api/catalogue', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { assumptions: { assumedPowerW: number } };
        body.assumptions.assumedPowerW = 0.0025;
        await route.fulfill({ response, json: body });
      });
      await page.goto(`${svc.url}/#/device/bench-1`);
      await page.waitForSelector('#device-power');
      const legend = await page.locator('#device-chart .u-legend .u-label').allTextContents();
      expect(legend).toContain('2.5 mW assumed');
      expect(legend.join(' ')).not.toContain('1 mW');
      expect(await page.locator('.card:has(#device-power)').textContent()).toContain('the 2.5 mW assumption');
      expect(await page.locator('#device-comparison li:nth-child(2) .cmp-label').textContent()).toBe('Same, at 2.5 mW (seed assumption)');
    } finally {
      await page.close();
    }
  });
});
