/**
 * Dashboard bench: 1 000 simulated devices post energy windows continuously over the HTTP API while headless
 * Chromium shows the fleet view. Prints the time to first render, the live update rate the browser sustains, main-
 * thread long tasks, and the latency of a sort click. Run alone: `tsx bench/dashboard.ts`.
 */
import { pathToFileURL } from 'node:url';
import { openBrowser } from '../test/dashboard/browser.js';
import { startTestService, type TestService } from '../test/dashboard/service.js';

/** Simulated devices: the "1 000+ devices". */
const DEVICES = 1_000;
/** Concurrent HTTP requests of the simulated fleet: keeps the service busy without queueing thousands of sockets. */
const POST_CONCURRENCY = 32;
/** Seconds of live updates measured after the first render. */
const MEASURE_S = 10;
/** Seconds each simulated window covers (the firmware default). */
const WINDOW_S = 10;

interface PageMetrics {
  firstRenderMs: number | null;
  renders: number;
  rowsRendered: number;
  events: number;
  rowsReceived: number;
  dropped: number;
}

/** Run `task` over `items` with at most `concurrency` in flight. */
async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

/** Every device posts one window per round, round after round, until stopped; returns the windows posted. */
function simulateFleet(svc: TestService, ids: readonly string[], signal: AbortSignal): Promise<number> {
  const seqs = new Map(ids.map((id) => [id, 0]));
  let posted = 0;
  return (async () => {
    while (!signal.aborted) {
      await pool(ids, POST_CONCURRENCY, async (id) => {
        if (signal.aborted) return;
        const seq = seqs.get(id) ?? 0;
        seqs.set(id, seq + 1);
        const powerW = 0.0005 + (Number(id.slice(4)) % 50) * 0.0004 + Math.random() * 0.0002;
        await svc.postWindows(id, [{ seq, startMs: Date.now() - WINDOW_S * 1000, durationS: WINDOW_S, energyJ: powerW * WINDOW_S }]);
        posted += 1;
      });
    }
    return posted;
  })();
}

export async function runDashboardBench(): Promise<void> {
  const svc = await startTestService();
  const browser = await openBrowser();
  const controller = new AbortController();
  try {
    const ids = Array.from({ length: DEVICES }, (_, i) => `sim-${String(i).padStart(4, '0')}`);
    const registerStart = performance.now();
    await pool(ids, POST_CONCURRENCY, (id) => svc.registerDevice({ id, deployedAt: new Date(Date.now() - 86_400_000).toISOString() }));
    const registerS = (performance.now() - registerStart) / 1000;
    const fleetDone = simulateFleet(svc, ids, controller.signal);

    const { page } = browser;
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: { count: number; totalMs: number; maxMs: number } };
      w.__longTasks = { count: 0, totalMs: 0, maxMs: 0 };
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          w.__longTasks.count += 1;
          w.__longTasks.totalMs += entry.duration;
          w.__longTasks.maxMs = Math.max(w.__longTasks.maxMs, entry.duration);
        }
      }).observe({ type: 'longtask', buffered: true });
    });
    const gotoStart = performance.now();
    await page.goto(`${svc.url}/#/fleet`);
    await page.waitForFunction((n) => document.querySelector('#fleet-count')?.textContent === `${n} devices`, DEVICES, { polling: 'raf' });
    const wallFirstRenderMs = performance.now() - gotoStart;
    const first = (await page.evaluate(() => (window as unknown as { __dashboard: PageMetrics }).__dashboard)) as PageMetrics;

    const startMetrics = { ...first };
    const measureStart = performance.now();
    await page.waitForFunction((ms) => performance.now() > ms, (await page.evaluate(() => performance.now())) + MEASURE_S * 1000, {
      polling: 250,
      timeout: (MEASURE_S + 5) * 1000,
    });
    const elapsedS = (performance.now() - measureStart) / 1000;
    const end = (await page.evaluate(() => (window as unknown as { __dashboard: PageMetrics }).__dashboard)) as PageMetrics;
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: { count: number; totalMs: number; maxMs: number } }).__longTasks);

    // In-page: click → the frame after the re-sorted table is painted (no automation overhead in the figure).
    const sortMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const started = performance.now();
          document.querySelector<HTMLButtonElement>('button[data-sort="total"]')?.click();
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - started)));
        }),
    );
    const sorted = await page.evaluate(() => document.querySelector('[data-sort="total"]')?.parentElement?.getAttribute('aria-sort'));
    if (sorted !== 'ascending') throw new Error(`sort click did not sort the table (aria-sort ${String(sorted)})`);

    controller.abort();
    const posted = await fleetDone;
    const health = (await (await fetch(`${svc.url}/api/health`)).json()) as { sources: { name: string; counters: Record<string, number> }[] };
    const feed = health.sources.find((source) => source.name === 'dashboard-events')?.counters ?? {};

    const figures = {
      devices: DEVICES,
      registerS: Number(registerS.toFixed(2)),
      firstRenderMs: Number((first.firstRenderMs ?? NaN).toFixed(0)),
      wallFirstRenderMs: Number(wallFirstRenderMs.toFixed(0)),
      measureS: Number(elapsedS.toFixed(1)),
      windowsPostedPerS: Number((posted / ((performance.now() - registerStart) / 1000 - registerS)).toFixed(0)),
      sseEventsPerS: Number(((end.events - startMetrics.events) / elapsedS).toFixed(2)),
      rowUpdatesPerS: Number(((end.rowsReceived - startMetrics.rowsReceived) / elapsedS).toFixed(0)),
      rendersPerS: Number(((end.renders - startMetrics.renders) / elapsedS).toFixed(2)),
      domRowsRebuiltPerS: Number(((end.rowsRendered - startMetrics.rowsRendered) / elapsedS).toFixed(0)),
      droppedUpdates: end.dropped,
      longTasks: { count: longTasks.count, totalMs: Math.round(longTasks.totalMs), maxMs: Math.round(longTasks.maxMs) },
      sortClickMs: Number(sortMs.toFixed(0)),
      feed,
    };
    process.stdout.write(
      [
        `dashboard bench: ${DEVICES} devices reporting over HTTP (${figures.windowsPostedPerS} windows/s), fleet view in headless Chromium`,
        `  time to first render: ${figures.firstRenderMs} ms after navigation start (${figures.wallFirstRenderMs} ms from goto to ${DEVICES} rows)`,
        `  live updates over ${figures.measureS} s: ${figures.sseEventsPerS} SSE messages/s carrying ${figures.rowUpdatesPerS} row updates/s; ${figures.rendersPerS} renders/s, ${figures.domRowsRebuiltPerS} DOM rows rebuilt/s; dropped ${figures.droppedUpdates}`,
        `  main thread: ${figures.longTasks.count} long tasks (> 50 ms), ${figures.longTasks.totalMs} ms in total, longest ${figures.longTasks.maxMs} ms; sort click to repaint ${figures.sortClickMs} ms`,
        `  ${JSON.stringify(figures)}`,
      ].join('\n') + '\n',
    );
  } finally {
    controller.abort();
    await browser.close();
    await svc.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runDashboardBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
