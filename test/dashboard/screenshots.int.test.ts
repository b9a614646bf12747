import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LAPTOP_VIEWPORT, openBrowser, PHONE_VIEWPORT, type Browser } from './browser.js';
import { caseChangedText, lowContrastText, pageLuminance } from './page-checks.js';
import { screenshotPath } from './screenshots.js';
import { startTestService, type TestService, type WindowInput } from './service.js';

/**
 * The README's pictures: every view (fleet, device, calculator) on a laptop and a phone, in the light and the dark
 * scheme (prefers-color-scheme), each checked before it is taken: no console errors, the scheme applied, readable
 * text (WCAG AA contrast), no unit whose case CSS changed (mW shown as MW), nothing wider than a phone.
 */

/** Seconds per window, as the firmware default. */
const WINDOW_S = 10;
/** Windows of the measured fleet devices and of the device shown. */
const WINDOWS = 30;
const SYSTEMS = ['kws-typical', 'ad-typical', 'ic-typical', 'kws-best', 'ic-worst'];
const FLEET_DEVICES = 12;

/** Each view, and its key comparison against the seed's 1 mW assumption, which a phone must show on its first screen. */
const VIEWS = [
  { name: 'fleet', hash: '#/fleet', view: 'fleet', key: '#fleet-assumed' },
  { name: 'device', hash: '#/device/bench-1', view: 'device', key: '#device-power' },
  { name: 'calculator', hash: '#/calculator?system=kws-typical&power=27mW', view: 'calculator', key: '#calc-vs-assumed' },
] as const;
const VIEWPORTS = [
  { name: 'desktop', size: LAPTOP_VIEWPORT },
  { name: 'phone', size: PHONE_VIEWPORT },
] as const;
const SCHEMES = ['light', 'dark'] as const;

/** A bursty keyword-spotting board: 2 mW idle, a 26 mW burst every fifth window, 10 inferences a window. */
function burstyWindows(count: number, startMs: number): WindowInput[] {
  return Array.from({ length: count }, (_, k) => {
    const burst = k % 5 === 4;
    const averageW = burst ? 0.0064 : 0.0021;
    return {
      seq: k,
      startMs: startMs + k * WINDOW_S * 1000,
      durationS: WINDOW_S,
      energyJ: averageW * WINDOW_S,
      sampleCount: 10_000,
      minPowerW: 0.0019,
      maxPowerW: burst ? 0.0264 : 0.0024,
      inferenceCount: 10,
    };
  });
}

describe('screenshots of every view: desktop and phone, light and dark (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    svc = await startTestService();
    const now = Date.now();
    const start = now - WINDOWS * WINDOW_S * 1000;
    await svc.registerDevice({
      id: 'bench-1',
      name: 'Bench board',
      fleet: 'lab',
      system: 'kws-typical',
      deployedAt: new Date(now - 100 * 86_400_000).toISOString(),
    });
    await svc.postWindows('bench-1', burstyWindows(WINDOWS, start));
    for (let i = 0; i < FLEET_DEVICES; i += 1) {
      const id = `node-${String(i).padStart(2, '0')}`;
      await svc.registerDevice({
        id,
        ...(i % 4 === 0 ? { name: `Greenhouse ${i / 4 + 1}` } : {}),
        fleet: i < 6 ? 'north' : 'south',
        system: SYSTEMS[i % SYSTEMS.length],
        deployedAt: new Date(now - (30 + i * 10) * 86_400_000).toISOString(),
      });
      if (i % 3 === 2) continue; // never reported: power assumed
      const powerW = (i + 0.5) / 1000;
      await svc.postWindows(
        id,
        Array.from({ length: 6 }, (_, k) => ({ seq: k, startMs: now - (6 - k) * WINDOW_S * 1000, durationS: WINDOW_S, energyJ: powerW * WINDOW_S })),
      );
    }
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  /** A page of its own (so its errors are its own) in a viewport and a colour scheme. */
  async function openView(hash: string, size: { width: number; height: number }, scheme: 'light' | 'dark'): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setViewportSize(size);
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${svc.url}/${hash}`);
    return { page, errors };
  }

  for (const view of VIEWS) {
    for (const viewport of VIEWPORTS) {
      for (const scheme of SCHEMES) {
        const name = `${view.name}-${viewport.name}-${scheme}`;
        it(`${name}: readable, no console errors, units as written`, async () => {
          const { page, errors } = await openView(view.hash, viewport.size, scheme);
          try {
            await page.waitForFunction((expected) => {
              const metrics = (window as unknown as { __dashboard?: { view: string; firstRenderMs: number | null } }).__dashboard;
              return metrics?.view === expected && metrics.firstRenderMs !== null;
            }, view.view);
            await page.evaluate(() => document.fonts.ready);
            const luminance = await pageLuminance(page);
            if (scheme === 'dark') expect(luminance).toBeLessThan(0.15);
            else expect(luminance).toBeGreaterThan(0.85);
            expect(await lowContrastText(page)).toEqual([]);
            expect(await caseChangedText(page)).toEqual([]);
            if (viewport.name === 'phone') {
              expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
              const key = (await page.locator(view.key).boundingBox())!;
              expect(key.y + key.height).toBeLessThanOrEqual(viewport.size.height);
            }
            // A phone picture is its first screen (what a phone shows without scrolling); a desktop one the whole page.
            await page.screenshot({ path: screenshotPath(name), fullPage: viewport.name === 'desktop' });
            expect(errors).toEqual([]);
          } finally {
            await page.close();
          }
        });
      }
    }
  }
});
