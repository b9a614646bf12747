import uPlot from '/vendor/uplot/uPlot.esm.js';
import { timestampMs } from './time-format.js';

/** Chart height in CSS pixels (laptop and phone alike; width follows the container). */
const CHART_HEIGHT_PX = 260;
/** A drag narrower than this (CSS px) is a click, not a span selection. */
const MIN_SELECTION_PX = 3;
/** Headroom above the highest max (fraction), so the band's top is not glued to the frame. */
const Y_HEADROOM = 0.15;
/** The inference markers use the lowest fifth of the plot: their scale tops out at 5 × the busiest bucket. */
const MARKER_SCALE_FACTOR = 5;

/**
 * One plotted interval at the view's single resolution: a stored window, or a series bucket of several windows.
 * Power in W; `minW`/`maxW` are null when the windows did not report their extremes.
 * @typedef {{ startMs: number, endMs: number, avgW: number | null, minW: number | null, maxW: number | null, inferences: number }} ChartRow
 */

/**
 * uPlot data from rows: a stepped value per interval start, a closing point where an interval is followed by a gap
 * (so a gap is drawn as a gap, not as a slope), and null breaks the line.
 * @param {ChartRow[]} rows in time order
 * @param {number} assumedMw
 */
function toData(rows, assumedMw) {
  /** @type {number[]} */ const xs = [];
  /** @type {(number | null)[]} */ const avg = [];
  /** @type {(number | null)[]} */ const min = [];
  /** @type {(number | null)[]} */ const max = [];
  /** @type {(number | null)[]} */ const inf = [];
  /** @type {number[]} */ const assumed = [];
  const mw = (/** @type {number | null} */ w) => (w === null ? null : w * 1000);
  rows.forEach((row, i) => {
    const avgMw = mw(row.avgW);
    xs.push(row.startMs / 1000);
    avg.push(avgMw);
    min.push(mw(row.minW) ?? avgMw);
    max.push(mw(row.maxW) ?? avgMw);
    inf.push(row.inferences > 0 ? row.inferences : null);
    assumed.push(assumedMw);
    const next = rows[i + 1];
    if (next === undefined || next.startMs > row.endMs) {
      xs.push(row.endMs / 1000);
      avg.push(avgMw);
      min.push(mw(row.minW) ?? avgMw);
      max.push(mw(row.maxW) ?? avgMw);
      inf.push(null);
      assumed.push(assumedMw);
      if (next !== undefined) {
        // A gap: break the line just after the interval's end.
        xs.push(row.endMs / 1000 + 0.001);
        avg.push(null);
        min.push(null);
        max.push(null);
        inf.push(null);
        assumed.push(assumedMw);
      }
    }
  });
  return [xs, avg, min, max, inf, assumed];
}

/**
 * Power chart (uPlot) of one resolution: x = time, y = average power per interval (mW, stepped: the average holds over
 * its interval) with the min–max band of the samples inside it, inference markers (count per interval) and the
 * assumed power as a reference line. The x range is the caller's (the view's time range), so a data update never
 * resets a zoom. Dragging selects a span and reports it; the caller decides what a selection does.
 * @param {HTMLElement} container
 * @param {{ assumedPowerW: number, assumedLabel: string, onSelect: (fromMs: number, toMs: number) => void, onScale?: (fromMs: number, toMs: number) => void }} options
 */
export function createPowerChart(container, options) {
  const assumedMw = options.assumedPowerW * 1000;
  let range = { fromMs: Date.now() - 3_600_000, toMs: Date.now() };
  /** @type {ChartRow[]} */
  let rows = [];
  /** Start (epoch ms) of the quiet stretch after the last window of a stale or offline device; null while online. */
  /** @type {{ sinceMs: number, label: string } | null} */
  let quiet = null;
  const width = () => Math.max(280, container.clientWidth);
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const mwValue = (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null || v === undefined ? '–' : `${v.toFixed(3)} mW`);
  const plot = new uPlot(
    {
      width: width(),
      height: CHART_HEIGHT_PX,
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: {
        x: { time: true, range: () => [range.fromMs / 1000, range.toMs / 1000] },
        y: { range: (_u, _min, max) => [0, Math.max((max ?? 0) * (1 + Y_HEADROOM), assumedMw * 1.5)] },
        inf: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1) * MARKER_SCALE_FACTOR] },
      },
      axes: [{ space: 90 }, { label: 'mW', size: 60 }, { scale: 'inf', show: false }],
      series: [
        { label: 'time', value: (_u, v) => (v === null || v === undefined ? '–' : timestampMs(v * 1000)) },
        { label: 'average', stroke: '#1f6fb2', width: 2, paths: stepped, points: { show: false }, value: mwValue },
        { label: 'min', stroke: 'rgba(31,111,178,0.45)', width: 1, paths: stepped, points: { show: false }, value: mwValue },
        { label: 'max', stroke: 'rgba(31,111,178,0.45)', width: 1, paths: stepped, points: { show: false }, value: mwValue },
        {
          label: 'inferences',
          scale: 'inf',
          stroke: '#7e57c2',
          fill: '#7e57c2',
          width: 0,
          paths: () => null,
          points: { show: true, size: 4, fill: '#7e57c2', stroke: '#7e57c2' },
          value: (_u, v) => (v === null || v === undefined ? '–' : String(v)),
        },
        { label: `${options.assumedLabel} assumed`, stroke: '#b0560a', width: 1, dash: [6, 4], value: () => options.assumedLabel, points: { show: false } },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(31,111,178,0.16)' }],
      hooks: {
        // A stale or offline device: the time since its last window is shaded and says so, so no one reads the
        // end of the line as "still at that power".
        draw: [
          (u) => {
            if (quiet === null) return;
            const left = Math.max(u.bbox.left, u.valToPos(quiet.sinceMs / 1000, 'x', true));
            const right = u.bbox.left + u.bbox.width;
            if (left >= right) return;
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = 'rgba(154,154,154,0.18)';
            ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
            ctx.fillStyle = '#6b6b6b';
            ctx.font = `${Math.round(12 * devicePixelRatio)}px system-ui, sans-serif`;
            ctx.textBaseline = 'top';
            ctx.textAlign = 'left';
            if (right - left > 80 * devicePixelRatio) ctx.fillText(quiet.label, left + 6 * devicePixelRatio, u.bbox.top + 6 * devicePixelRatio);
            ctx.restore();
          },
        ],
        // uPlot commits a new scale after the current task: report the x range once it is on screen.
        setScale: [
          (u, key) => {
            const x = u.scales['x'];
            if (key === 'x' && x?.min !== undefined && x.max !== undefined) options.onScale?.(Math.round(x.min * 1000), Math.round(x.max * 1000));
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width < MIN_SELECTION_PX) return;
            const fromMs = Math.round(u.posToVal(u.select.left, 'x') * 1000);
            const toMs = Math.round(u.posToVal(u.select.left + u.select.width, 'x') * 1000);
            options.onSelect(Math.max(range.fromMs, fromMs), Math.min(range.toMs, toMs));
          },
        ],
      },
    },
    /** @type {any} */ (toData([], assumedMw)),
    container,
  );
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: CHART_HEIGHT_PX }));
  resize.observe(container);

  return {
    /**
     * Show these rows over this range (epoch ms). The x scale is the range whatever the data holds.
     * @param {ChartRow[]} next @param {{ fromMs: number, toMs: number }} nextRange
     */
    show(next, nextRange) {
      rows = next;
      range = nextRange;
      plot.setData(/** @type {any} */ (toData(rows, assumedMw)));
      plot.setScale('x', { min: range.fromMs / 1000, max: range.toMs / 1000 });
    },
    /** Shade the time since the last window (stale or offline), or nothing (null). @param {{ sinceMs: number, label: string } | null} next */
    setQuiet(next) {
      if (next?.sinceMs === quiet?.sinceMs && next?.label === quiet?.label) return;
      quiet = next;
      container.dataset['quietSince'] = next === null ? '' : String(next.sinceMs);
      plot.redraw(false, false);
    },
    /** Draw a selection (epoch ms) without reporting it, e.g. after a redraw; null clears it. @param {{ fromMs: number, toMs: number } | null} span */
    mark(span) {
      if (span === null) {
        plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        return;
      }
      const left = plot.valToPos(span.fromMs / 1000, 'x');
      const right = plot.valToPos(span.toMs / 1000, 'x');
      plot.setSelect({ left, top: 0, width: Math.max(0, right - left), height: plot.over.clientHeight }, false);
    },
    /** The x scale on screen, epoch ms (tests read it through the container's data attributes). */
    get scale() {
      const x = plot.scales['x'];
      return { fromMs: Math.round((x?.min ?? 0) * 1000), toMs: Math.round((x?.max ?? 0) * 1000) };
    },
    get rows() {
      return rows;
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
