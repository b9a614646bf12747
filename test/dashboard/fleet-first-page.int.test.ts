/**
 * The fleet view asks for its first page beside the event stream (not after it): a row the stream delivers while that
 * page is on its way must not be lost when the older page lands. Chromium; the first page's answer is fetched from the
 * service, held while a newer window is stored and streamed, then delivered: the first rows painted must show the newer row.
 */
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type Browser } from './browser.js';
import { startTestService, type TestService } from './service.js';

const DEVICE = 'race-1';

describe('fleet view: the first page and the event stream (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  const nowMs = Date.now();

  beforeAll(async () => {
    svc = await startTestService();
    await svc.registerDevice({ id: DEVICE });
    await svc.postWindows(DEVICE, [{ seq: 0, startMs: nowMs - 30_000, durationS: 10, energyJ: 0.01 }]);
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('keeps a row streamed while the first page is on its way: the first rows painted show it, not the older page', async () => {
    const { page } = browser;
    // What the row's power cell said when it first appeared (before any reload could correct it).
    await page.addInitScript((id) => {
      const w = window as unknown as { __firstPowerTitle: string | null };
      w.__firstPowerTitle = null;
      new MutationObserver(() => {
        const cell = document.querySelector(`#fleet-body [data-id="${id}"] .c-power`);
        if (cell !== null && w.__firstPowerTitle === null) w.__firstPowerTitle = cell.getAttribute('title');
      }).observe(document, { subtree: true, childList: true });
    }, DEVICE);
    let held = false;
    const holdFirstPage = async (route: Route): Promise<void> => {
      const url = new URL(route.request().url());
      if (held || url.searchParams.get('offset') !== '0' || url.searchParams.get('status') === 'measured') return route.continue();
      held = true;
      // Answered after the stream's hello (so the view does not ask again: only the streamed row can make it right)…
      await page.waitForFunction(() => (window as unknown as { __dashboard?: { helloAtMs: number | null } }).__dashboard?.helloAtMs != null);
      const stale = await route.fetch();
      const staleBody = (await stale.json()) as { rows: { id: string; windows: number }[] };
      expect(staleBody.rows.find((row) => row.id === DEVICE)?.windows).toBe(1);
      // …then a second window is stored and streamed while the page is still held…
      await svc.postWindows(DEVICE, [{ seq: 1, startMs: nowMs - 20_000, durationS: 10, energyJ: 0.01 }]);
      await page.waitForFunction(() => ((window as unknown as { __dashboard: { rowsReceived: number } }).__dashboard.rowsReceived ?? 0) > 0);
      // …and the page computed before it arrives last.
      await route.fulfill({ response: stale, json: staleBody });
    };
    await page.route('**/api/fleet?*', holdFirstPage);
    try {
      await page.goto(`${svc.url}/#/fleet`);
      const title = await page.waitForFunction(() => (window as unknown as { __firstPowerTitle: string | null }).__firstPowerTitle);
      expect(held).toBe(true);
      expect(await title.jsonValue()).toMatch(/ in 2 windows$/);
      expect(browser.errors).toEqual([]);
    } finally {
      await page.unroute('**/api/fleet?*', holdFirstPage);
    }
  });

  it('asks for the first page and the catalogue before the modules load (index.html), and uses both answers: the default view and a sorted, filtered one', async () => {
    for (const hash of ['', '#/fleet?sort=power&dir=desc&q=%20race%20&status=measured']) {
      const page = await browser.context.newPage();
      const asked: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.pathname === '/api/catalogue' || (url.pathname === '/api/fleet' && url.searchParams.get('limit') === '100')) asked.push(url.pathname);
      });
      try {
        await page.goto(`${svc.url}/${hash}`);
        await page.locator(`#fleet-body [data-id="${DEVICE}"]`).waitFor();
        // Nothing prefetched is left: the view asked for exactly the page and the catalogue prefetch.js had asked for.
        expect(await page.evaluate(() => Object.keys((window as unknown as { __prefetch: Record<string, unknown> }).__prefetch))).toEqual([]);
        expect(asked.filter((name) => name === '/api/catalogue')).toHaveLength(1);
        // The page was asked for while the document was still being parsed, i.e. before any module ran (modules run after parsing).
        const timing = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const first = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((entry) => entry.name.includes('/api/fleet?'));
          return { pageSentMs: first?.startTime ?? null, parsedMs: nav.domInteractive };
        });
        expect(timing.pageSentMs).not.toBeNull();
        expect(timing.pageSentMs!).toBeLessThan(timing.parsedMs);
      } finally {
        await page.close();
      }
    }
    expect(browser.errors).toEqual([]);
  });
});
