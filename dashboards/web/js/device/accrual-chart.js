import uPlot from '/vendor/uplot/uPlot.esm.js';
import { kgNumber } from '../format.js';
import { timestampMs } from './time-format.js';

/** Chart height in CSS pixels. */
const ACCRUAL_HEIGHT_PX = 180;
/** Points along the lifetime (the use stage accrues linearly; battery replacements are steps between them). */
const ACCRUAL_POINTS = 200;
const MS_PER_YEAR = 365.25 * 86_400_000;

/**
 * kg CO2e accrued at a fraction of the lifetime, as the service computes the footprint to date: training, hardware and
 * transport up front, use in proportion to time, each battery replacement when the pack before it reaches its life.
 * @param {any} footprint @param {number} fraction in [0, 1]
 */
export function accruedAt(footprint, fraction) {
  const upfront = footprint.accrued.upfrontKgCO2e;
  const use = footprint.byGroup.use * fraction;
  const battery = footprint.battery;
  if (!battery || battery.replacements === 0) return upfront + use;
  const each = battery.replacementKgCO2e / battery.replacements;
  const done = Math.min(battery.replacements, Math.floor((fraction * footprint.lifetimeYears) / battery.packLifeYears));
  return upfront + use + each * done;
}

/**
 * The footprint accrued over the device's lifetime, from deployment to end of life, with today marked.
 * @param {HTMLElement} container @param {any} footprint (with `accrued`: deployed) @param {string} deployedAt ISO
 */
export function createAccrualChart(container, footprint, deployedAt) {
  const startMs = Date.parse(deployedAt);
  const endMs = startMs + footprint.lifetimeYears * MS_PER_YEAR;
  /** @param {any} fp */
  const data = (fp) => {
    const xs = [];
    const ys = [];
    for (let i = 0; i <= ACCRUAL_POINTS; i += 1) {
      const f = i / ACCRUAL_POINTS;
      xs.push((startMs + f * (endMs - startMs)) / 1000);
      ys.push(accruedAt(fp, f));
    }
    const nowX = (startMs + fp.accrued.fractionOfLifetime * (endMs - startMs)) / 1000;
    /** @type {(number | null)[]} */
    const now = xs.map(() => null);
    const at = xs.findIndex((x) => x >= nowX);
    if (at >= 0) {
      xs.splice(at, 0, nowX);
      ys.splice(at, 0, fp.accrued.kgCO2e);
      now.splice(at, 0, fp.accrued.kgCO2e);
    }
    return [xs, ys, now];
  };
  const plot = new uPlot(
    {
      width: Math.max(260, container.clientWidth),
      height: ACCRUAL_HEIGHT_PX,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, footprint.totalKgCO2e) * 1.05] } },
      axes: [{ space: 70 }, { label: 'kg CO₂e', size: 56 }],
      series: [
        { value: (_u, v) => (v === null || v === undefined ? '–' : timestampMs(v * 1000).slice(0, 10)) },
        {
          label: 'accrued',
          stroke: '#1f6fb2',
          width: 2,
          fill: 'rgba(31,111,178,0.10)',
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? '–' : `${kgNumber(v)} kg`),
        },
        {
          label: 'today',
          stroke: '#b3261e',
          paths: () => null,
          points: { show: true, size: 9, fill: '#b3261e' },
          value: (_u, v) => (v === null || v === undefined ? '–' : `${kgNumber(v)} kg`),
        },
      ],
    },
    /** @type {any} */ (data(footprint)),
    container,
  );
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(260, container.clientWidth), height: ACCRUAL_HEIGHT_PX }));
  resize.observe(container);
  return {
    /** @param {any} fp */
    update(fp) {
      plot.setData(/** @type {any} */ (data(fp)));
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
