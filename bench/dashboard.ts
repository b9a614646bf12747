/**
 * Dashboard bench: simulated devices post energy windows over the HTTP API while headless Chromium shows the fleet
 * view. Prints the time to first render, the live update rate the browser sustains, main-thread long tasks, and the
 * latency of a sort click. Run alone: `tsx bench/dashboard.ts [devices[@windowsPerS]…]`; the default runs the issue's
 * two cases one after the other: 1 000 devices posting as fast as they can (32 requests in flight) and 10 000 devices at
 * a paced 2 000 windows/s (goals: first render ≤ 1 s, no long task over 50 ms).
 */
import { pathToFileURL } from 'node:url';
import { openBrowser } from '../test/dashboard/browser.js';
import { startTestService, type TestService } from '../test/dashboard/service.js';

/** The default runs: the 1 000-device run of issue 7 (unpaced) and issue 13's 10 000 devices at 2 000 windows/s. */
const DEFAULT_RUNS: BenchRun[] = [{ devices: 1_000 }, { devices: 10_000, windowsPerS: 2_000 }];
/** Devices registered per request (POST /api/devices with an array; src/http/limits.ts MAX_DEVICES_PER_REQUEST). */
const REGISTER_BATCH = 2_000;
/** Milliseconds between two bursts of the paced simulation: 1/10 s of the rate each, spread over the fleet. */
const PACE_TICK_MS = 100;
/** Windows per request of the paced simulation: two consecutive windows, so 2 000 windows/s is 1 000 requests/s. */
const WINDOWS_PER_REQUEST = 2;
/** Milliseconds the page may take to load and show every device: generous, so a busy machine yields a figure, not an error. */
const PAGE_TIMEOUT_MS = 120_000;
/** Goals of issue 13 at 10 000 devices. */
const FIRST_RENDER_GOAL_MS = 1_000;
const LONG_TASK_GOAL_MS = 50;

interface BenchRun {
  devices: number;
  /** Windows per second the fleet posts in total; absent: as fast as POST_CONCURRENCY allows. */
  windowsPerS?: number;
}
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

/**
 * Paced: every PACE_TICK_MS, the next devices round-robin post WINDOWS_PER_REQUEST windows each, so that the fleet
 * sends `windowsPerS` in total (if the service keeps up; the figures report what was posted). Returns the windows posted.
 */
function simulatePacedFleet(svc: TestService, ids: readonly string[], windowsPerS: number, signal: AbortSignal): Promise<number> {
  const seqs = new Map(ids.map((id) => [id, 0]));
  // Each device posts once per cycle, its windows covering that cycle back to back (no overlap: SPEC.md §7), so its
  // data keeps pace with the wall clock: 10 000 devices at 2 000 windows/s post every 10 s two 5 s windows.
  const cycleMs = ((ids.length * WINDOWS_PER_REQUEST) / windowsPerS) * 1000;
  const windowS = cycleMs / 1000 / WINDOWS_PER_REQUEST;
  const nextStartMs = new Map(ids.map((id) => [id, Date.now() - cycleMs]));
  let posted = 0;
  let cursor = 0;
  let owed = 0;
  const inFlight = new Set<Promise<void>>();
  return (async () => {
    const startMs = Date.now();
    while (!signal.aborted) {
      const dueWindows = ((Date.now() - startMs) / 1000) * windowsPerS - posted - owed;
      const requests = Math.floor(dueWindows / WINDOWS_PER_REQUEST);
      for (let r = 0; r < requests && inFlight.size < POST_CONCURRENCY; r += 1) {
        const id = ids[cursor]!;
        cursor = (cursor + 1) % ids.length;
        const seq = seqs.get(id) ?? 0;
        seqs.set(id, seq + WINDOWS_PER_REQUEST);
        const powerW = 0.0005 + (Number(id.slice(4)) % 50) * 0.0004;
        const firstMs = nextStartMs.get(id)!;
        nextStartMs.set(id, firstMs + cycleMs);
        const windows = Array.from({ length: WINDOWS_PER_REQUEST }, (_, k) => ({
          seq: seq + k,
          startMs: firstMs + k * windowS * 1000,
          durationS: windowS,
          energyJ: powerW * windowS,
        }));
        owed += WINDOWS_PER_REQUEST;
        const request = svc
          .postWindows(id, windows)
          .then(() => {
            posted += WINDOWS_PER_REQUEST;
          })
          .finally(() => {
            owed -= WINDOWS_PER_REQUEST;
            inFlight.delete(request);
          });
        inFlight.add(request);
      }
      await new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS));
    }
    await Promise.allSettled(inFlight);
    return posted;
  })();
}

/**
 * Every device posts one window per round, round after round, until stopped; returns the windows posted. Each device's
 * windows follow one another (no overlap, SPEC.md §7) from a minute ago, running ahead of the wall clock as fast as
 * the service takes them (well within the day of future skew a window may have).
 */
function simulateFleet(svc: TestService, ids: readonly string[], signal: AbortSignal): Promise<number> {
  const seqs = new Map(ids.map((id) => [id, 0]));
  const nextStartMs = new Map(ids.map((id) => [id, Date.now() - 60_000]));
  let posted = 0;
  return (async () => {
    while (!signal.aborted) {
      await pool(ids, POST_CONCURRENCY, async (id) => {
        if (signal.aborted) return;
        const seq = seqs.get(id) ?? 0;
        seqs.set(id, seq + 1);
        const powerW = 0.0005 + (Number(id.slice(4)) % 50) * 0.0004 + Math.random() * 0.0002;
        const startMs = nextStartMs.get(id)!;
        nextStartMs.set(id, startMs + WINDOW_S * 1000);
        await svc.postWindows(id, [{ seq, startMs, durationS: WINDOW_S, energyJ: powerW * WINDOW_S }]);
        posted += 1;
      });
    }
    return posted;
  })();
}

export async function runDashboardBench(run: BenchRun): Promise<void> {
  const DEVICES = run.devices;
  const svc = await startTestService();
  const browser = await openBrowser();
  const controller = new AbortController();
  try {
    const ids = Array.from({ length: DEVICES }, (_, i) => `sim-${String(i).padStart(5, '0')}`);
    const registerStart = performance.now();
    const deployedAt = new Date(Date.now() - 86_400_000).toISOString();
    for (let i = 0; i < ids.length; i += REGISTER_BATCH)
      await svc.postJson(
        '/api/devices',
        ids.slice(i, i + REGISTER_BATCH).map((id) => ({ id, deployedAt })),
      );
    const registerS = (performance.now() - registerStart) / 1000;
    const fleetDone =
      run.windowsPerS === undefined ? simulateFleet(svc, ids, controller.signal) : simulatePacedFleet(svc, ids, run.windowsPerS, controller.signal);

    const { page } = browser;
    await page.addInitScript(() => {
      // [start, duration] of each long task (> 50 ms), bounded: the load's and the live phase's are told apart later.
      const w = window as unknown as { __longTasks: [number, number][] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (w.__longTasks.length < 10_000) w.__longTasks.push([entry.startTime, entry.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    const gotoStart = performance.now();
    await page.goto(`${svc.url}/#/fleet`, { waitUntil: 'commit', timeout: PAGE_TIMEOUT_MS });
    await page.waitForFunction((n) => document.querySelector('#fleet-count')?.textContent === `${n} devices`, DEVICES, {
      polling: 'raf',
      timeout: PAGE_TIMEOUT_MS,
    });
    const wallFirstRenderMs = performance.now() - gotoStart;
    const first = (await page.evaluate(() => (window as unknown as { __dashboard: PageMetrics }).__dashboard)) as PageMetrics;

    const startMetrics = { ...first };
    const measureStart = performance.now();
    const pageMeasureStart = await page.evaluate(() => performance.now());
    await page.waitForFunction((ms) => performance.now() > ms, pageMeasureStart + MEASURE_S * 1000, {
      polling: 250,
      timeout: (MEASURE_S + 5) * 1000,
    });
    const elapsedS = (performance.now() - measureStart) / 1000;
    const end = (await page.evaluate(() => (window as unknown as { __dashboard: PageMetrics }).__dashboard)) as PageMetrics;
    const tasks = await page.evaluate(() => (window as unknown as { __longTasks: [number, number][] }).__longTasks);
    const summarise = (list: [number, number][]) => ({
      count: list.length,
      totalMs: Math.round(list.reduce((sum, [, d]) => sum + d, 0)),
      maxMs: Math.round(Math.max(0, ...list.map(([, d]) => d))),
    });
    const loadTasks = summarise(tasks.filter(([start]) => start < pageMeasureStart));
    const longTasks = summarise(tasks.filter(([start]) => start >= pageMeasureStart));

    // In-page: click → the frame after the table shows the server's re-sorted page (no automation overhead in the figure).
    // (no named functions inside: tsx's keepNames would wrap them in a helper the page lacks)
    const sortMs = await page.evaluate(async (timeoutMs) => {
      const started = performance.now();
      document.querySelector<HTMLButtonElement>('button[data-sort="total"]')?.click();
      while (
        document.querySelector('[data-sort="total"]')?.parentElement?.getAttribute('aria-sort') !== 'ascending' &&
        performance.now() - started < timeoutMs
      ) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
      return performance.now() - started;
    }, PAGE_TIMEOUT_MS);
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
      longTasks,
      loadLongTasks: loadTasks,
      sortClickMs: Number(sortMs.toFixed(0)),
      feed,
    };
    process.stdout.write(
      [
        `dashboard bench: ${DEVICES} devices reporting over HTTP (${figures.windowsPostedPerS} windows/s posted${run.windowsPerS === undefined ? ', unpaced' : `, paced at ${run.windowsPerS}`}), fleet view in headless Chromium`,
        `  time to first render: ${figures.firstRenderMs} ms after navigation start (${figures.wallFirstRenderMs} ms from goto to ${DEVICES} rows); goal ≤ ${FIRST_RENDER_GOAL_MS} ms: ${figures.firstRenderMs <= FIRST_RENDER_GOAL_MS ? 'met' : 'MISSED'}`,
        `  live updates over ${figures.measureS} s: ${figures.sseEventsPerS} SSE messages/s carrying ${figures.rowUpdatesPerS} row updates/s; ${figures.rendersPerS} renders/s, ${figures.domRowsRebuiltPerS} DOM rows rebuilt/s; dropped ${figures.droppedUpdates}`,
        `  main thread while live: ${figures.longTasks.count} long tasks (> 50 ms), ${figures.longTasks.totalMs} ms in total, longest ${figures.longTasks.maxMs} ms (goal: none over ${LONG_TASK_GOAL_MS} ms: ${figures.longTasks.count === 0 ? 'met' : 'MISSED'}); sort click to repaint ${figures.sortClickMs} ms; during the load: ${figures.loadLongTasks.count} long tasks, longest ${figures.loadLongTasks.maxMs} ms`,
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
  const runs = process.argv.slice(2).map((arg): BenchRun => {
    const [devices, rate] = arg.split('@');
    return { devices: Number(devices), ...(rate === undefined ? {} : { windowsPerS: Number(rate) }) };
  });
  (async () => {
    for (const run of runs.length > 0 ? runs : DEFAULT_RUNS) await runDashboardBench(run);
  })().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
