import { getJson } from '../api.js';
import { h } from '../dom.js';
import { duration, energy, microjoules, power } from '../format.js';
import { recordError } from '../metrics.js';
import { createPowerChart } from './power-chart.js';
import { datetimeLocalValue, timestampMs } from './time-format.js';

/** Buckets aimed at per view: about one per 2 px of a laptop-wide chart (the series API allows 10 000). */
const TARGET_BUCKETS = 600;
/** Below this many windows in view, and when no bucket holds two, the chart shows the windows themselves. */
const MAX_RAW_WINDOWS = 2_000;
/** Page size when reading raw windows by range (the API's maximum is 10 000). */
const RAW_PAGE = 1_000;
/** While following live, the chart re-reads its range at most this often (ms); updates arrive at up to 4 Hz. */
const LIVE_REFETCH_MS = 1_000;

/** Time-range presets: label and span (ms); `all` starts at the device's first window. */
const PRESETS = /** @type {const} */ ([
  ['5m', '5 min', 300_000],
  ['1h', '1 h', 3_600_000],
  ['6h', '6 h', 21_600_000],
  ['1d', '1 day', 86_400_000],
  ['7d', '7 days', 604_800_000],
  ['30d', '30 days', 2_592_000_000],
  ['all', 'all time', null],
]);

/** @typedef {import('./power-chart.js').ChartRow} ChartRow */

/** A window's length: ms below a second (simulators send 400 ms windows), else as format.js duration. @param {number} s */
function lengthText(s) {
  return s < 1 ? `${Math.round(s * 1000)} ms` : duration(s);
}

/**
 * The device's power chart with its controls: time-range picker (presets and custom), follow-live / paused,
 * pan, and a selected span's energy, average power and energy per inference (summed by the series API).
 * One resolution per view: the windows themselves when few enough, else series buckets of one step.
 * @param {{ deviceId: string, assumedPowerW: number, assumedLabel: string, nowMs: () => number, firstSeenMs: () => number | null,
 *   onViewChange?: (view: { preset: string, fromMs: number, toMs: number }) => void }} deps
 */
export function createChartPanel(deps) {
  const base = `/api/devices/${encodeURIComponent(deps.deviceId)}`;
  /** @type {{ preset: string, follow: boolean, fromMs: number, toMs: number }} */
  const view = { preset: '1h', follow: true, fromMs: 0, toMs: 0 };
  /** @type {{ fromMs: number, toMs: number } | null} */
  let selection = null;
  let generation = 0;
  let selectionGeneration = 0;
  let liveUpdates = 0;
  let heldUpdates = 0;
  let lastFetchMs = 0;
  /** @type {number | null} */
  let refetchTimer = null;

  const chartBox = h('div', { class: 'chart', id: 'device-chart', role: 'img', 'aria-label': 'Power, mW over time, with min–max band and inference markers' });
  const empty = h('p', { class: 'muted chart-empty', id: 'device-chart-empty', hidden: true });
  const resolution = h('span', { class: 'sub', id: 'device-points' });
  const latest = h('span', { class: 'sub', id: 'device-latest' });
  const mode = h('span', { class: 'chart-mode', id: 'device-follow', role: 'status' });
  const spanBox = h('div', { class: 'span-stats', id: 'device-span', hidden: true });
  const fromInput = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', step: '1', id: 'range-from', 'aria-label': 'from' }));
  const toInput = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', step: '1', id: 'range-to', 'aria-label': 'to' }));
  const customBox = h(
    'form',
    { class: 'range-custom', id: 'range-custom', hidden: true, onsubmit: (/** @type {Event} */ e) => (e.preventDefault(), applyCustom()) },
    fromInput,
    ' – ',
    toInput,
    h('button', { type: 'submit' }, 'Show'),
  );
  const presetButtons = PRESETS.map(([key, label]) =>
    h('button', { type: 'button', class: 'range-btn', 'data-range': key, 'aria-pressed': 'false', onclick: () => choosePreset(key) }, label),
  );
  const followButton = h('button', { type: 'button', id: 'device-follow-live', onclick: () => followLive() }, 'Follow live');
  // The keyboard's way to a span's figures: the whole range in view (narrow it with the custom range first).
  const sumViewButton = h('button', { type: 'button', id: 'span-view', onclick: () => void select(view.fromMs, view.toMs) }, 'Sum this view');
  const element = h(
    'div',
    { class: 'panel device-chart-panel' },
    h('h2', null, 'Power ', resolution, latest),
    h(
      'div',
      { class: 'controls range-picker', role: 'group', 'aria-label': 'Time range' },
      ...presetButtons,
      h('button', { type: 'button', class: 'range-btn', 'data-range': 'custom', 'aria-pressed': 'false', onclick: () => showCustom() }, 'custom…'),
      h(
        'span',
        { class: 'range-nav' },
        h('button', { type: 'button', id: 'pan-left', title: 'earlier (half a view)', onclick: () => pan(-0.5) }, '◀'),
        h('button', { type: 'button', id: 'pan-right', title: 'later (half a view)', onclick: () => pan(0.5) }, '▶'),
      ),
      followButton,
      sumViewButton,
      mode,
    ),
    customBox,
    chartBox,
    empty,
    h(
      'p',
      { class: 'muted chart-help' },
      'Drag across the chart to select a span: its energy, average power and energy per inference appear below. The band is the lowest and highest power sampled inside each interval; dots count inferences.',
    ),
    spanBox,
  );
  const chart = createPowerChart(chartBox, {
    assumedPowerW: deps.assumedPowerW,
    assumedLabel: deps.assumedLabel,
    onSelect: select,
    // The x range on screen (the tests check that live updates do not move it).
    onScale(fromMs, toMs) {
      chartBox.dataset['from'] = String(fromMs);
      chartBox.dataset['to'] = String(toMs);
    },
  });

  /** @param {string} preset @returns {number} the span (ms) the preset shows */
  function spanOf(preset) {
    const entry = PRESETS.find(([key]) => key === preset);
    if (entry && entry[2] !== null) return entry[2];
    const first = deps.firstSeenMs();
    return first === null ? 3_600_000 : Math.max(60_000, deps.nowMs() - first);
  }

  function liveRange() {
    const toMs = Math.ceil(deps.nowMs());
    return { fromMs: toMs - spanOf(view.preset), toMs };
  }

  function paintControls() {
    for (const button of element.querySelectorAll('[data-range]')) {
      const key = /** @type {HTMLElement} */ (button).dataset['range'];
      button.setAttribute('aria-pressed', String(key === view.preset));
    }
    mode.textContent = view.follow ? '● following live' : '❚❚ paused: live updates do not move this view';
    mode.dataset['follow'] = String(view.follow);
    followButton.hidden = view.follow;
    chartBox.dataset['follow'] = String(view.follow);
    chartBox.dataset['liveUpdates'] = String(liveUpdates);
    chartBox.dataset['heldUpdates'] = String(heldUpdates);
  }

  /** Read the view's range at one resolution and draw it. */
  async function load() {
    const mine = ++generation;
    deps.onViewChange?.({ preset: view.preset, fromMs: view.fromMs, toMs: view.toMs });
    lastFetchMs = Date.now();
    const { fromMs, toMs } = view;
    const spanS = Math.max(1, (toMs - fromMs) / 1000);
    const stepS = Math.max(1, Math.ceil(spanS / TARGET_BUCKETS));
    try {
      const series = await getJson(`${base}/series?from=${fromMs}&to=${toMs}&step=${stepS}`);
      /** @type {any[]} */
      const buckets = series.buckets;
      const total = buckets.reduce((sum, b) => sum + b.windows, 0);
      /** @type {ChartRow[]} */
      let rows;
      let label;
      if (total <= MAX_RAW_WINDOWS && buckets.every((b) => b.windows <= 1)) {
        const windows = await rawWindows(fromMs, toMs);
        rows = windows
          .filter((w) => w.durationS > 0)
          .map((w) => ({
            startMs: w.startMs,
            endMs: w.startMs + w.durationS * 1000,
            avgW: w.energyJ / w.durationS,
            minW: w.minPowerW,
            maxW: w.maxPowerW,
            inferences: w.inferenceCount,
          }));
        const lengths = [...new Set(windows.map((w) => w.durationS))];
        label =
          rows.length === 0
            ? '0 windows'
            : `${rows.length} windows · each window${lengths.length === 1 ? ` (${lengthText(/** @type {number} */ (lengths[0]))})` : ''}`;
      } else {
        rows = buckets.map((b) => ({
          startMs: b.startMs,
          endMs: b.startMs + stepS * 1000,
          avgW: b.avgPowerW,
          minW: b.minPowerW,
          maxW: b.maxPowerW,
          inferences: b.inferences,
        }));
        label = `${total} windows · ${duration(stepS)} buckets`;
      }
      if (mine !== generation) return;
      chart.show(rows, { fromMs, toMs });
      resolution.textContent = label;
      resolution.dataset['resolution'] = rows.length === total ? 'windows' : `${stepS}s`;
      empty.hidden = rows.length > 0;
      empty.textContent = deps.firstSeenMs() === null ? 'No data yet: this device has not sent an energy window.' : 'No windows in this range.';
      if (selection) chart.mark(selection);
      chartBox.dataset['version'] = String(Number(chartBox.dataset['version'] ?? '0') + 1);
      paintControls();
    } catch (error) {
      if (mine !== generation) return;
      recordError(String(error));
      empty.hidden = false;
      empty.textContent = `Could not read the power series: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** @param {number} fromMs @param {number} toMs @returns {Promise<any[]>} */
  async function rawWindows(fromMs, toMs) {
    /** @type {any[]} */
    const all = [];
    let cursor = null;
    do {
      const page = await getJson(`${base}/windows?from=${fromMs}&to=${toMs}&limit=${RAW_PAGE}${cursor === null ? '' : `&cursor=${cursor}`}`);
      all.push(...page.windows);
      cursor = page.nextCursor;
    } while (cursor !== null && all.length < MAX_RAW_WINDOWS);
    return all;
  }

  /** @param {string} preset */
  function choosePreset(preset) {
    view.preset = preset;
    view.follow = true;
    customBox.hidden = true;
    Object.assign(view, liveRange());
    void load();
  }

  function followLive() {
    choosePreset(view.preset === 'custom' ? '1h' : view.preset);
  }

  function showCustom() {
    customBox.hidden = false;
    fromInput.value = datetimeLocalValue(view.fromMs);
    toInput.value = datetimeLocalValue(view.toMs);
    fromInput.focus();
  }

  function applyCustom() {
    const fromMs = new Date(fromInput.value).getTime();
    const toMs = new Date(toInput.value).getTime();
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
      empty.hidden = false;
      empty.textContent = 'The custom range needs a start before its end.';
      return;
    }
    setFixed(fromMs, toMs);
  }

  /** A range that live updates do not move. @param {number} fromMs @param {number} toMs */
  function setFixed(fromMs, toMs) {
    view.preset = 'custom';
    view.follow = false;
    view.fromMs = Math.round(fromMs);
    view.toMs = Math.round(toMs);
    void load();
  }

  /** Move the view by a fraction of its width (negative: earlier); panning up to now follows live again. @param {number} fraction */
  function pan(fraction) {
    const span = view.toMs - view.fromMs;
    const nowMs = Math.ceil(deps.nowMs());
    const toMs = Math.min(nowMs, view.toMs + Math.round(span * fraction));
    const preset = PRESETS.find(([, , ms]) => ms === span);
    if (toMs === nowMs && preset) choosePreset(preset[0]);
    else setFixed(toMs - span, toMs);
  }

  /** A dragged span: its figures come from the server's sum over the windows starting in it. @param {number} fromMs @param {number} toMs */
  async function select(fromMs, toMs) {
    if (toMs <= fromMs) return;
    selection = { fromMs, toMs };
    const mine = ++selectionGeneration;
    const stepS = Math.max(1, Math.ceil((toMs - fromMs) / 1000));
    try {
      const series = await getJson(`${base}/series?from=${fromMs}&to=${toMs}&step=${stepS}`);
      if (mine !== selectionGeneration) return;
      const sum = series.buckets.reduce(
        (/** @type {{ energyJ: number, observedS: number, inferences: number, windows: number }} */ acc, /** @type {any} */ b) => ({
          energyJ: acc.energyJ + b.energyJ,
          observedS: acc.observedS + b.observedS,
          inferences: acc.inferences + b.inferences,
          windows: acc.windows + b.windows,
        }),
        { energyJ: 0, observedS: 0, inferences: 0, windows: 0 },
      );
      paintSelection(sum);
    } catch (error) {
      recordError(String(error));
      spanBox.hidden = false;
      spanBox.textContent = `Could not sum the span: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** @param {{ energyJ: number, observedS: number, inferences: number, windows: number }} sum */
  function paintSelection(sum) {
    if (selection === null) return;
    const { fromMs, toMs } = selection;
    spanBox.hidden = false;
    spanBox.dataset['from'] = String(fromMs);
    spanBox.dataset['to'] = String(toMs);
    spanBox.dataset['energyJ'] = String(sum.energyJ);
    spanBox.dataset['windows'] = String(sum.windows);
    const avg = sum.observedS > 0 ? sum.energyJ / sum.observedS : null;
    spanBox.replaceChildren(
      h('h3', null, 'Selected span'),
      h('p', { class: 'muted' }, `${timestampMs(fromMs)} – ${timestampMs(toMs)} (${duration((toMs - fromMs) / 1000)}); windows starting in it: ${sum.windows}`),
      h(
        'dl',
        { class: 'span-figures' },
        h('div', null, h('dt', null, 'Energy'), h('dd', { id: 'span-energy', title: `${sum.energyJ} J` }, sum.windows === 0 ? '–' : energy(sum.energyJ))),
        h('div', null, h('dt', null, 'Average power'), h('dd', { id: 'span-power', title: 'energy ÷ observed time in the span' }, power(avg))),
        h('div', null, h('dt', null, 'Observed'), h('dd', { id: 'span-observed' }, duration(sum.observedS))),
        h('div', null, h('dt', null, 'Inferences'), h('dd', { id: 'span-inferences' }, String(sum.inferences))),
        h(
          'div',
          null,
          h('dt', null, 'Per inference'),
          h(
            'dd',
            { id: 'span-per-inference', title: 'energy ÷ inferences counted (idle included)' },
            sum.inferences > 0 ? microjoules(sum.energyJ / sum.inferences) : '–',
          ),
        ),
      ),
      h(
        'p',
        null,
        h('button', { type: 'button', id: 'span-zoom', onclick: () => setFixed(fromMs, toMs) }, 'Zoom to span'),
        ' ',
        h('button', { type: 'button', id: 'span-clear', onclick: () => clearSelection() }, 'Clear'),
      ),
    );
  }

  function clearSelection() {
    selection = null;
    selectionGeneration += 1;
    spanBox.hidden = true;
    chart.mark(null);
  }

  /**
   * A live update carrying this device's new points: following live, re-read the range (at most once per
   * LIVE_REFETCH_MS); paused, count it and leave the view alone.
   * @param {[number, number][]} points [epoch ms, W] windows and live samples
   */
  function onLive(points) {
    liveUpdates += 1;
    const last = points[points.length - 1];
    if (last) latest.textContent = `· latest ${power(last[1])} at ${timestampMs(last[0])}`;
    if (!view.follow) {
      heldUpdates += 1;
      paintControls();
      return;
    }
    paintControls();
    if (refetchTimer !== null) return;
    const wait = Math.max(0, LIVE_REFETCH_MS - (Date.now() - lastFetchMs));
    refetchTimer = window.setTimeout(() => {
      refetchTimer = null;
      if (!view.follow) return;
      Object.assign(view, liveRange());
      void load();
    }, wait);
  }

  return {
    element,
    /**
     * Start at a preset (following live), or at a fixed range when both ends are given (a shared link).
     * @param {{ preset?: string | null, fromMs?: number | null, toMs?: number | null }} [initial]
     */
    start(initial = {}) {
      const { preset, fromMs, toMs } = initial;
      if (typeof fromMs === 'number' && typeof toMs === 'number' && Number.isFinite(fromMs) && Number.isFinite(toMs) && toMs > fromMs) setFixed(fromMs, toMs);
      else choosePreset(PRESETS.some(([key]) => key === preset) ? /** @type {string} */ (preset) : '1h');
    },
    onLive,
    /** The device's state: shade the time since its last window unless it is online. @param {string} state @param {number | null} lastSeenMs */
    setState(state, lastSeenMs) {
      chart.setQuiet(state === 'online' || lastSeenMs === null ? null : { sinceMs: lastSeenMs, label: `${state}: no window since ${timestampMs(lastSeenMs)}` });
    },
    /** The range in view (epoch ms). */
    get range() {
      return { fromMs: view.fromMs, toMs: view.toMs };
    },
    destroy() {
      if (refetchTimer !== null) clearTimeout(refetchTimer);
      generation += 1;
      chart.destroy();
    },
  };
}
