import { readFile } from 'node:fs/promises';
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
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '30 windows · each window (10 s)');
    // Its last window ended 100 s ago, past the 60 s online threshold: stale, until the next windows arrive.
    expect(await page.getAttribute('#device-online', 'data-state')).toBe('stale');
    expect(await page.textContent('#device-power')).toBe('2.00 mW');
    expect(await page.textContent('#device-energy')).toBe('0.60 J');
    expect(await page.textContent('#device-coverage')).toBe('100 %');
    const before = (await (await fetch(`${svc.url}/api/devices/bench-1/footprint`)).json()) as { footprint: { totalKgCO2e: number } };
    expect(await page.textContent('#device-total')).toBe(`${before.footprint.totalKgCO2e.toFixed(2)} kg`);
    expect(await page.textContent('#device-stages-total')).toBe(before.footprint.totalKgCO2e.toFixed(2));
    expect(await page.textContent('#device-cmp-apple-watch-s7')).toBe('34.00 kg');
    expect(await page.textContent('#device-cmp-macbook-pro-16-2021')).toBe('349.00 kg');
    expect(await page.textContent('#device-cmp-assumed')).toBe('2.66 kg');
    // Measured vs assumed on one scale: the part that differs (use + battery replacements) is drawn on its own scale too.
    const fp = before as unknown as {
      footprint: {
        totalKgCO2e: number;
        byGroup: { use: number };
        battery: { replacementKgCO2e: number } | null;
        comparison: { assumed: { totalKgCO2e: number } };
        accrued: { kgCO2e: number };
      };
    };
    const measuredPart = fp.footprint.byGroup.use + (fp.footprint.battery?.replacementKgCO2e ?? 0);
    const assumedPart = fp.footprint.comparison.assumed.totalKgCO2e - (fp.footprint.totalKgCO2e - measuredPart);
    expect(await page.textContent('#device-vs-measured-part')).toBe(`${(measuredPart * 1000).toPrecision(3)} g`);
    expect(await page.textContent('#device-vs-assumed-part')).toBe(`${(assumedPart * 1000).toPrecision(3)} g`);
    expect(await page.textContent('#device-vs-assumed-total')).toBe(`${fp.footprint.comparison.assumed.totalKgCO2e.toFixed(2)} kg`);
    // Zero stages are folded into one line; every non-zero stage has a bar.
    const stages = (before as unknown as { footprint: { stages: { id: string; kgCO2e: number }[] } }).footprint.stages;
    const zeros = stages.filter((s) => s.kgCO2e === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(await page.textContent('#device-zero-stages summary')).toBe(`${zeros} stages at 0 kg`);
    expect(await page.locator('#device-stages .stage-row').count()).toBeLessThanOrEqual(stages.length - zeros);
    expect(await page.textContent('#device-levels-help')).toContain('L0, L1, L2');
    expect(await page.locator('#device-accrual-chart canvas').count()).toBe(1);
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
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '40 windows · each window (10 s)');
    expect(await page.textContent('#device-latest')).toMatch(/^· latest 302 mW at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(await page.textContent('#device-energy')).toBe('30.80 J');
    await page.waitForFunction(() => document.querySelector('#device-online')?.getAttribute('data-state') === 'online');
    expect(await page.getAttribute('#device-chart', 'data-quiet-since')).toBe('');
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
    // The same terms in view, not only on hover.
    const er = (await (await fetch(`${svc.url}/api/devices/er-1/footprint`)).json()) as {
      perInference: { sci: { kgCO2ePerInference: number; I: { kgCO2ePerKWh: number }; M: { kgCO2ePerInference: number } } };
    };
    expect(await page.textContent('#device-sci-energy')).toBe('110.0 µJ');
    const ug = er.perInference.sci.kgCO2ePerInference * 1e9; // format.js microgram: µg, or ng below 1 µg
    expect(await page.textContent('#sci-total')).toBe(`${ug >= 1 ? `${ug.toPrecision(3)} µg` : `${(ug * 1e3).toPrecision(3)} ng`} CO2e`);
    expect(await page.textContent('#sci-i')).toBe(`${er.perInference.sci.I.kgCO2ePerKWh.toFixed(3)} kg/kWh`);
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

interface StoredWindow {
  seq: number;
  startMs: number;
  durationS: number;
  energyJ: number;
  sampleCount: number;
  minPowerW: number | null;
  maxPowerW: number | null;
  inferenceCount: number;
  source: string;
  startStampedBy?: string;
}

/** Every window of a device starting in [fromMs, toMs), through the windows-by-range API (all pages). */
async function apiWindows(url: string, deviceId: string, fromMs: number, toMs: number): Promise<StoredWindow[]> {
  const all: StoredWindow[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (
      await fetch(`${url}/api/devices/${deviceId}/windows?from=${fromMs}&to=${toMs}&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`)
    ).json()) as { windows: StoredWindow[]; nextCursor: string | null };
    all.push(...page.windows);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

describe('device view: chart, span, edit, export, not found (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  /** 60 windows of 10 s, then 2 s windows posted one by one as live updates. */
  const start = Date.now() - 900_000;
  const SPAN_ID = 'span-1';
  const powerOf = (k: number): number => 0.001 + 0.0005 * (k % 7) + 0.00001 * k;

  beforeAll(async () => {
    svc = await startTestService();
    await svc.registerDevice({ id: SPAN_ID, name: 'Span board', system: 'kws-typical' });
    await svc.postWindows(
      SPAN_ID,
      Array.from({ length: 60 }, (_, k) => ({
        seq: k,
        startMs: start + k * 10_000,
        durationS: 10,
        energyJ: powerOf(k) * 10,
        sampleCount: 1_000,
        minPowerW: powerOf(k) / 2,
        maxPowerW: powerOf(k) * 3,
        inferenceCount: 3 + (k % 4),
      })),
    );
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('a selected span shows the energy the API sums for it, and the zoom to it survives 40 live updates', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/${SPAN_ID}`);
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '60 windows · each window (10 s)');
    const over = page.locator('#device-chart .u-over');
    const box = await over.boundingBox();
    if (box === null) throw new Error('chart overlay has no box');
    // Drag across the part of the hour that holds windows (they fill its last 15 minutes).
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#device-span')?.dataset['energyJ'] !== undefined);
    const span = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('#device-span');
      return {
        fromMs: Number(el?.dataset['from']),
        toMs: Number(el?.dataset['to']),
        energyJ: Number(el?.dataset['energyJ']),
        windows: Number(el?.dataset['windows']),
      };
    });
    const inSpan = await apiWindows(svc.url, SPAN_ID, span.fromMs, span.toMs);
    expect(inSpan.length).toBeGreaterThanOrEqual(4); // 6 min of a 60-min view: about 36 windows' worth, at least a few
    expect(span.windows).toBe(inSpan.length);
    const energyJ = inSpan.reduce((sum, w) => sum + w.energyJ, 0);
    const inferences = inSpan.reduce((sum, w) => sum + w.inferenceCount, 0);
    expect(span.energyJ).toBeCloseTo(energyJ, 12);
    expect(await page.textContent('#span-energy')).toBe(`${energyJ.toFixed(2)} J`);
    expect(await page.textContent('#span-inferences')).toBe(String(inferences));
    expect(await page.textContent('#span-per-inference')).toBe(`${((energyJ / inferences) * 1e3).toPrecision(4)} mJ`);

    // Zoom to the span: the chart shows it, paused; live updates are applied to the cards and counted, not to the range.
    await page.click('#span-zoom');
    await page.waitForFunction((from) => document.querySelector<HTMLElement>('#device-chart')?.dataset['from'] === String(from), span.fromMs);
    expect(await page.getAttribute('#device-chart', 'data-follow')).toBe('false');
    expect(await page.getAttribute('#device-chart', 'data-to')).toBe(String(span.toMs));
    const LIVE_UPDATES = 40; // 10 s at the stream's 4 Hz
    const firstLive = start + 600_000;
    for (let k = 0; k < LIVE_UPDATES; k += 1) {
      await svc.postWindows(SPAN_ID, [{ seq: 60 + k, startMs: firstLive + k * 2_000, durationS: 2, energyJ: 0.004, sampleCount: 200, inferenceCount: 1 }]);
      await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('#device-chart')?.dataset['heldUpdates'] ?? 0) >= n, k + 1);
    }
    expect(await page.getAttribute('#device-chart', 'data-from')).toBe(String(span.fromMs));
    expect(await page.getAttribute('#device-chart', 'data-to')).toBe(String(span.toMs));
    expect(await page.getAttribute('#device-chart', 'data-follow')).toBe('false');
    const aggregate = (await (await fetch(`${svc.url}/api/devices/${SPAN_ID}`)).json()) as { aggregate: { energyJ: number; windows: number } };
    expect(aggregate.aggregate.windows).toBe(100);
    await page.waitForFunction((text) => document.querySelector('#device-energy')?.textContent === text, `${aggregate.aggregate.energyJ.toFixed(2)} J`);

    // Follow live again: the range ends now and holds the new windows.
    await page.click('#device-follow-live');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#device-chart')?.dataset['follow'] === 'true');
    // 1 h in 600 buckets of 6 s: three 2 s windows share a bucket, so the whole view is drawn at the bucket resolution.
    await page.waitForFunction(() => document.querySelector('#device-points')?.textContent === '100 windows · 6 s buckets');
    expect(Number(await page.getAttribute('#device-chart', 'data-to'))).toBeGreaterThanOrEqual(firstLive + LIVE_UPDATES * 2_000);
    expect(browser.errors).toEqual([]);
  });

  it('the time range is in the URL: a shared link opens the same view', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/${SPAN_ID}`);
    await page.click('button[data-range="7d"]');
    await page.waitForFunction(() => location.hash === '#/device/span-1?range=7d');
    await page.goto(`${svc.url}/#/device/${SPAN_ID}?from=${start}&to=${start + 120_000}`);
    await page.reload();
    await page.waitForFunction((from) => document.querySelector<HTMLElement>('#device-chart')?.dataset['from'] === String(from), start);
    expect(await page.getAttribute('#device-chart', 'data-to')).toBe(String(start + 120_000));
    expect(await page.getAttribute('#device-chart', 'data-follow')).toBe('false');
    expect(await page.textContent('#device-points')).toBe('12 windows · each window (10 s)');
    // Without a mouse: the figures of the whole range in view.
    await page.focus('#span-view');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#device-span')?.dataset['windows'] === '12');
    const twelve = await apiWindows(svc.url, SPAN_ID, start, start + 120_000);
    expect(await page.textContent('#span-energy')).toBe(`${twelve.reduce((sum, w) => sum + w.energyJ, 0).toFixed(2)} J`);
    await page.goto(`${svc.url}/#/device/${SPAN_ID}?range=all`);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('button[data-range="all"]')?.getAttribute('aria-pressed') === 'true');
    expect(browser.errors).toEqual([]);
  });

  it('CSV export of the windows in view equals the API’s windows', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/${SPAN_ID}`);
    await page.click('button[data-range="all"]');
    await page.waitForFunction(() => document.querySelector('button[data-range="all"]')?.getAttribute('aria-pressed') === 'true');
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('#device-csv')]);
    expect(file.suggestedFilename()).toMatch(/^span-1-windows-\d{4}-\d\d-\d\dT\d{6}\.csv$/);
    const text = await readFile(await file.path(), 'utf8');
    const [head, ...lines] = text.trimEnd().split('\r\n');
    const columns = (head ?? '').split(',');
    expect(columns.slice(0, 4)).toEqual(['seq', 'startMs', 'startIso', 'durationS']);
    const api = await apiWindows(svc.url, SPAN_ID, 0, Date.now() + 1);
    expect(api.length).toBe(100);
    expect(lines.length).toBe(api.length);
    lines.forEach((line, i) => {
      const cells = line.split(',');
      const w = api[i] as unknown as Record<string, unknown>;
      const value = (name: string): string => cells[columns.indexOf(name)] ?? '';
      for (const name of ['seq', 'startMs', 'durationS', 'energyJ', 'sampleCount', 'minPowerW', 'maxPowerW', 'inferenceCount', 'source', 'startStampedBy']) {
        expect(value(name), `${name} of window ${i}`).toBe(w[name] === null || w[name] === undefined ? '' : String(w[name]));
      }
      expect(value('startIso')).toBe(new Date(Number(w['startMs'])).toISOString());
    });
    expect(await page.getAttribute('#device-csv-message', 'data-windows')).toBe('100');
    expect(browser.errors).toEqual([]);
  });

  it('a device edited in the UI is changed in the API; the token is asked for once per session', async () => {
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/${SPAN_ID}`);
    await page.click('#device-edit summary');
    await page.fill('#edit-name', 'Renamed board');
    await page.fill('#edit-fleet', 'greenhouse');
    await page.fill('#edit-deployed', '2026-03-01T12:00:00');
    await page.selectOption('#edit-system', 'ad-typical');
    await page.selectOption('#edit-grid', 'FRA');
    await page.fill('#edit-lifetime', '5');
    await page.click('#edit-save');
    await page.waitForFunction(() => document.querySelector('#edit-message')?.textContent?.startsWith('The API token is needed') === true);
    await page.fill('#edit-token', 'wrong-token');
    await page.click('#edit-save');
    await page.waitForFunction(() => document.querySelector('#edit-message')?.textContent === 'The API token was refused: enter it again.');
    await page.fill('#edit-token', svc.token);
    await page.click('#edit-save');
    await page.waitForFunction(() => document.querySelector('#edit-message')?.textContent?.startsWith('Saved') === true);
    const deployedAt = await page.evaluate(() => new Date('2026-03-01T12:00:00').toISOString());
    const device = (await (await fetch(`${svc.url}/api/devices/${SPAN_ID}`)).json()) as {
      name: string;
      fleet: string | null;
      deployedAt: string | null;
      spec: { system: string; grid: string; lifetimeYears: number };
    };
    expect(device).toMatchObject({ name: 'Renamed board', fleet: 'greenhouse', deployedAt, spec: { system: 'ad-typical', grid: 'FRA', lifetimeYears: 5 } });
    await page.waitForFunction(() => document.querySelector('.device-head h1')?.textContent?.startsWith('Renamed board') === true);
    const footprint = (await (await fetch(`${svc.url}/api/devices/${SPAN_ID}/footprint`)).json()) as { footprint: { grid: { id: string; label: string } } };
    expect(footprint.footprint.grid.id).toBe('FRA');
    expect(await page.textContent('.device-head')).toContain(`grid ${footprint.footprint.grid.label}`);

    // A second edit in the same session is not asked for the token.
    expect(await page.evaluate(() => sessionStorage.getItem('tinyml-footprint.api-token'))).toBe(svc.token);
    await page.reload();
    await page.click('#device-edit summary');
    expect(await page.locator('#edit-token').isVisible()).toBe(false);
    await page.fill('#edit-name', 'Span board');
    await page.click('#edit-save');
    await page.waitForFunction(() => document.querySelector('#edit-message')?.textContent === 'Saved name.');
    expect(((await (await fetch(`${svc.url}/api/devices/${SPAN_ID}`)).json()) as { name: string }).name).toBe('Span board');
    expect(browser.errors.filter((e) => !e.includes('401'))).toEqual([]);
  });

  it('an unknown device shows "not found", not an empty chart', async () => {
    const page = await browser.context.newPage();
    const messages: { text: string; url: string }[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') messages.push({ text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (error) => messages.push({ text: error.message, url: '' }));
    try {
      await page.goto(`${svc.url}/#/device/no-such-board`);
      await page.waitForSelector('#device-not-found');
      expect(await page.textContent('#device-not-found h1')).toBe('Device not found');
      expect(await page.textContent('#device-not-found')).toContain('No device "no-such-board" is registered');
      expect(await page.locator('#device-chart').count()).toBe(0);
      expect(await page.locator('#device-stats').count()).toBe(0);
      // The one error the console shows is Chromium's own line for the 404 the check answered, nothing of the page's.
      expect(messages.filter((m) => !(m.text.includes('404') && m.url.endsWith('/api/devices/no-such-board/footprint')))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a device without windows says so, and one gone quiet says stale since when', async () => {
    await svc.registerDevice({ id: 'empty-1', system: 'kws-typical' });
    await svc.registerDevice({ id: 'quiet-1', system: 'kws-typical' });
    const lastEndMs = Date.now() - 600_000;
    await svc.postWindows('quiet-1', [{ seq: 0, startMs: lastEndMs - 2_000, durationS: 2, energyJ: 0.01, sampleCount: 20 }]);
    const { page } = browser;
    await page.goto(`${svc.url}/#/device/empty-1`);
    await page.waitForFunction(() => document.querySelector('#device-chart-empty')?.textContent === 'No data yet: this device has not sent an energy window.');
    expect(await page.getAttribute('#device-online', 'data-state')).toBe('no-data');
    expect(await page.textContent('.device-head')).toContain('last window none yet');
    await page.goto(`${svc.url}/#/device/quiet-1`);
    await page.waitForFunction(() => document.querySelector('#device-online')?.getAttribute('data-state') === 'stale');
    expect(await page.textContent('#device-online')).toMatch(/^stale since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    // The chart shades the time since the last window instead of ending the line as if it still held.
    await page.waitForFunction((end) => document.querySelector<HTMLElement>('#device-chart')?.dataset['quietSince'] === String(end), lastEndMs);
    // One 2 s window: the average is flagged as built from little data, and so is the lifetime figure.
    expect(await page.locator('.card:has(#device-power)').textContent()).toContain('1 window(s), 2 s observed: too little data for an interval');
    expect(await page.locator('.card:has(#device-total)').textContent()).toContain('from 2 s of data');
    expect(await page.locator('#device-stats .card.stale').count()).toBe(5);
    expect(browser.errors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});
