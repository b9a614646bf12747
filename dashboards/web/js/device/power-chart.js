import uPlot from '/vendor/uplot/uPlot.esm.js';

/** Points kept on the chart: an hour of 1 s windows; older points scroll off (bounded memory). */
export const MAX_CHART_POINTS = 3_600;
/** Chart height in CSS pixels (laptop and phone alike; width follows the container). */
const CHART_HEIGHT_PX = 240;

/**
 * Live power trace (uPlot): x = time (s), y = average power of each window or live sample (mW).
 * @param {HTMLElement} container
 * @param {number} assumedPowerW the catalogue's assumed power (W), drawn as a reference line
 * @param {string} assumedLabel the same, formatted for the legend (e.g. "1 mW")
 */
export function createPowerChart(container, assumedPowerW, assumedLabel) {
  /** @type {number[]} */
  let xs = [];
  /** @type {number[]} */
  let ys = [];
  const width = () => Math.max(280, container.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: CHART_HEIGHT_PX,
      title: '',
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, assumedPowerW * 1000 * 1.5)] } },
      axes: [{}, { label: 'mW', size: 56 }],
      series: [
        {},
        {
          label: 'power',
          stroke: '#1f6fb2',
          width: 2,
          fill: 'rgba(31,111,178,0.10)',
          value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} mW`),
          points: { show: false },
        },
        { label: `${assumedLabel} assumed`, stroke: '#b0560a', width: 1, dash: [6, 4], value: () => assumedLabel, points: { show: false } },
      ],
    },
    [[], [], []],
    container,
  );
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: CHART_HEIGHT_PX }));
  resize.observe(container);

  function redraw() {
    plot.setData([xs, ys, xs.map(() => assumedPowerW * 1000)]);
  }

  return {
    /**
     * Add [epoch ms, W] points; keeps time order and at most MAX_CHART_POINTS.
     * @param {[number, number][]} points
     */
    add(points) {
      if (points.length === 0) return;
      const last = xs.length > 0 ? /** @type {number} */ (xs[xs.length - 1]) : -Infinity;
      const inOrder = points.every(([t], i) => t / 1000 > (i === 0 ? last : /** @type {[number, number]} */ (points[i - 1])[0] / 1000));
      if (inOrder) {
        for (const [t, w] of points) {
          xs.push(t / 1000);
          ys.push(w * 1000);
        }
      } else {
        const merged = xs
          .map((x, i) => /** @type {[number, number]} */ ([x, /** @type {number} */ (ys[i])]))
          .concat(points.map(([t, w]) => [t / 1000, w * 1000]));
        merged.sort((a, b) => a[0] - b[0]);
        const unique = merged.filter((p, i) => i === 0 || p[0] !== /** @type {[number, number]} */ (merged[i - 1])[0]);
        xs = unique.map((p) => p[0]);
        ys = unique.map((p) => p[1]);
      }
      if (xs.length > MAX_CHART_POINTS) {
        xs = xs.slice(-MAX_CHART_POINTS);
        ys = ys.slice(-MAX_CHART_POINTS);
      }
      redraw();
    },
    get count() {
      return xs.length;
    },
    /** Latest plotted power, mW (tests read it). */
    get lastMilliwatts() {
      return ys.length > 0 ? ys[ys.length - 1] : null;
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
