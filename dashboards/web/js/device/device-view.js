import { card } from '../cards.js';
import { getCatalogue, getJson } from '../api.js';
import { breakdown, comparison } from '../breakdown.js';
import { h } from '../dom.js';
import { ago, duration, energy, kg, kgNumber, kgRange, microgram, microjoules, percent, power, powerLabel, source, times } from '../format.js';
import { openLive } from '../live.js';
import { metrics, recordError } from '../metrics.js';
import { DEFAULT_ONLINE_THRESHOLD_MS, isOnline, statusTitle } from '../online.js';
import { createPowerChart } from './power-chart.js';

/** Windows loaded for the chart's history when the view opens (the API allows up to 10 000). */
const HISTORY_WINDOWS = 500;
/** Milliseconds between repaints of "last seen" when nothing arrives. */
const CLOCK_REPAINT_MS = 1_000;

/**
 * Device view: live power chart, energy and coverage, footprint by stage, accrued vs lifetime, battery, comparisons.
 * @param {HTMLElement} root
 * @param {string} id
 * @returns {Promise<() => void>}
 */
export async function mountDeviceView(root, id) {
  metrics.view = 'device';
  const catalogue = await getCatalogue();
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  const assumedLabel = powerLabel(assumedPowerW);
  /** @type {any} */
  let state = null;
  let offsetMs = 0;
  let frame = 0;
  let chartVersion = 0;

  const chartBox = h('div', { class: 'chart', id: 'device-chart', role: 'img', 'aria-label': 'Live power, mW over time' });
  const header = h('div', { class: 'device-head' });
  const stats = h('div', { class: 'cards', id: 'device-stats' });
  const lifetime = h('div', { class: 'panel', id: 'device-lifetime' });
  const stagesBox = h('div', { class: 'panel' });
  const comparisonBox = h('div', { class: 'panel' });
  root.replaceChildren(
    h(
      'section',
      { class: 'device' },
      h('p', null, h('a', { href: '#/fleet' }, '← Fleet')),
      header,
      stats,
      h(
        'div',
        { class: 'panel' },
        h('h2', null, 'Live power ', h('span', { class: 'sub', id: 'device-points', title: 'points on the chart: one per energy window or live sample' })),
        chartBox,
      ),
      h('div', { class: 'grid2' }, h('div', null, lifetime, comparisonBox), stagesBox),
    ),
  );
  const chart = createPowerChart(chartBox, assumedPowerW, assumedLabel);

  function schedule() {
    if (frame === 0) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    if (state === null) return;
    const { device, aggregate, status, footprint, powerUncertainty, perInference } = state;
    const nowMs = Date.now() + offsetMs;
    const online = isOnline(status.lastSeenMs, nowMs, state.thresholdMs ?? DEFAULT_ONLINE_THRESHOLD_MS, status.presence);
    header.replaceChildren(
      h('h1', null, device.name, device.name !== device.id ? h('span', { class: 'sub' }, ` ${device.id}`) : null),
      h(
        'p',
        { class: 'muted' },
        h('span', { class: `dot ${online ? 'on' : 'off'}`, 'aria-hidden': 'true' }),
        h('span', { id: 'device-online', title: statusTitle(status.lastSeenMs, status.presence) }, online ? 'online' : 'offline'),
        ` · last seen ${ago(status.lastSeenMs, nowMs)} · ${footprint.system.label}`,
        h('span', { title: source(footprint.grid.provenance, `${footprint.grid.kgCO2ePerKWh.toFixed(3)} kg CO2e/kWh`) }, ` · grid ${footprint.grid.label}`),
        ` · ${footprint.lifetimeYears} years`,
        device.deployedAt ? ` · deployed ${device.deployedAt.slice(0, 10)}` : ' · not deployed yet',
      ),
    );
    const p = footprint.power;
    stats.replaceChildren(
      card(
        'Average power',
        power(p.powerW),
        p.kind === 'measured' ? `${times(p.powerW / assumedPowerW)} the ${assumedLabel} assumption` : `${p.kind}: no measurement yet`,
        'device-power',
        source(p.provenance, p.kind === 'measured' ? `energy ÷ observed time${uncertaintyTitle(powerUncertainty)}` : undefined),
      ),
      perInferenceCard(perInference),
      card(
        'Energy so far',
        energy(aggregate?.energyJ ?? 0),
        `${aggregate?.windows ?? 0} windows · ${aggregate?.inferences ?? 0} inferences`,
        'device-energy',
        'sum of the energy windows received, J (Wh above 3.6 kJ)',
      ),
      card(
        'Coverage',
        percent(status.coverage),
        `${duration(aggregate?.observedS ?? 0)} observed`,
        'device-coverage',
        'observed seconds ÷ time between the first and last window',
      ),
      card(
        'Lifetime footprint',
        kg(footprint.totalKgCO2e),
        kgRange(footprint.totalRange),
        'device-total',
        'projected lifetime kg CO2e at the measured power: training share + embodied + transport + use + end of life',
      ),
    );
    renderLifetime(footprint);
    stagesBox.replaceChildren(h('h2', null, 'Footprint by stage'), breakdown(footprint, 'device'));
    comparisonBox.replaceChildren(h('h2', null, 'Compared with'), comparison(footprint, catalogue.assumptions, 'device'));
    const points = document.getElementById('device-points');
    if (points) points.textContent = `${chart.count} points · latest ${chart.lastMilliwatts === null ? '–' : `${chart.lastMilliwatts.toFixed(2)} mW`}`;
    chartBox.dataset['version'] = String(chartVersion);
    metrics.renders += 1;
    if (metrics.firstRenderMs === null) metrics.firstRenderMs = performance.now();
  }

  /** The ± of the measured average, for the power card's title. @param {any} u */
  function uncertaintyTitle(u) {
    if (!u || u.halfWidthW === null) return '';
    const instrument = u.instrument.relativeAccuracy === null ? '' : `; instrument ± ${percent(u.instrument.relativeAccuracy)}`;
    return ` · ± ${power(u.halfWidthW)} (95 %, ${u.windows} windows)${instrument}`;
  }

  /** Energy and SCI per inference, next to the lifetime figure; says how it was obtained. @param {any} pi */
  function perInferenceCard(pi) {
    if (!pi) return card('Per inference', '–', 'no inferences counted yet', 'device-per-inference', 'energy and SCI per inference need inferenceCount');
    const basis = pi.energy.basis === 'per-window-median' ? `median of ${pi.energy.windows} windows` : 'aggregate (counts only)';
    const sci = pi.sci;
    const sub = sci === null ? basis : `${basis} · SCI ${microgram(sci.kgCO2ePerInference)} CO2e`;
    const title =
      sci === null
        ? basis
        : `SCI = (E·I + M) per R: E ${microjoules(sci.E.energyPerInferenceJ)}, I ${sci.I.kgCO2ePerKWh.toFixed(3)} kg/kWh (${sci.I.gridId}), ` +
          `E·I ${microgram(sci.operationalKgCO2ePerInference)}, M ${microgram(sci.M.kgCO2ePerInference)} (hardware over ${sci.R.lifetimeInferences.toPrecision(3)} inferences), R ${sci.R.inferencesPerS.toPrecision(3)}/s ${sci.R.basis}`;
    return card('Per inference', microjoules(pi.energy.energyPerInferenceJ), sub, 'device-per-inference', title);
  }

  /** @param {any} footprint */
  function renderLifetime(footprint) {
    const accrued = footprint.accrued;
    const battery = footprint.battery;
    const fraction = accrued === null ? 0 : accrued.kgCO2e / footprint.totalKgCO2e;
    lifetime.replaceChildren(
      h('h2', null, 'Accrued to date vs lifetime'),
      accrued === null
        ? h('p', { class: 'muted', id: 'device-accrued' }, 'Not deployed: set deployedAt to see the footprint accrued so far.')
        : h(
            'div',
            null,
            h(
              'p',
              { id: 'device-accrued', title: 'embodied, transport and training count from deployment day; use and battery replacements accrue with time' },
              h('strong', null, kg(accrued.kgCO2e)),
              ` of ${kg(footprint.totalKgCO2e)} projected (${percent(fraction)}) after ${percent(accrued.fractionOfLifetime)} of ${footprint.lifetimeYears} years: `,
              `${kg(accrued.upfrontKgCO2e)} up front (training, hardware, transport) + ${kg(accrued.useKgCO2e)} use so far`,
            ),
            h(
              'div',
              {
                class: 'meter',
                role: 'meter',
                'aria-valuemin': '0',
                'aria-valuemax': '100',
                'aria-valuenow': String(Math.round(fraction * 100)),
                'aria-label': 'accrued share of lifetime footprint',
              },
              h('span', { style: { width: `${Math.min(100, fraction * 100)}%` } }),
              h('i', { style: { left: `${Math.min(100, accrued.fractionOfLifetime * 100)}%` }, title: 'time elapsed in the lifetime' }),
            ),
          ),
      h(
        'p',
        { id: 'device-battery', title: battery ? source(battery.provenance) : 'power supply is not a rechargeable battery' },
        battery === null
          ? 'No rechargeable battery: no replacements.'
          : `Battery: ${battery.capacityWh} Wh, ${battery.recharges.toFixed(1)} recharges over the lifetime${battery.rechargeIntervalH === null ? '' : ` (every ${duration(battery.rechargeIntervalH * 3600)})`}, ${battery.replacements} replacement(s) = ${kgNumber(battery.replacementKgCO2e)} kg${accrued ? `; ${accrued.batteryReplacements} so far` : ''}.`,
      ),
    );
  }

  let thresholdFromHello = DEFAULT_ONLINE_THRESHOLD_MS;
  const live = openLive({
    device: id,
    onHello(hello) {
      offsetMs = hello.serverNowMs - Date.now();
      if (state) state.thresholdMs = hello.onlineThresholdMs;
      thresholdFromHello = hello.onlineThresholdMs;
    },
    onUpdate(update) {
      const points = update.points[id];
      if (points && points.length > 0) {
        chart.add(points);
        chartVersion += 1;
      }
      const fresh = update.footprints[id];
      if (fresh && state) state = { ...fresh, thresholdMs: state.thresholdMs };
      schedule();
    },
  });
  const clock = window.setInterval(schedule, CLOCK_REPAINT_MS);

  try {
    await live.ready;
    const [footprint, history] = await Promise.all([
      getJson(`/api/devices/${encodeURIComponent(id)}/footprint`),
      getJson(`/api/devices/${encodeURIComponent(id)}/windows?limit=${HISTORY_WINDOWS}`),
    ]);
    state ??= { ...footprint, thresholdMs: thresholdFromHello };
    /** @type {[number, number][]} */
    const points = history.windows
      .filter((/** @type {any} */ w) => w.durationS > 0)
      .map((/** @type {any} */ w) => [w.startMs + w.durationS * 1000, w.energyJ / w.durationS]);
    chart.add(points);
    chartVersion += 1;
    schedule();
  } catch (error) {
    recordError(String(error));
    root.append(h('p', { class: 'error', role: 'alert' }, `Could not load device "${id}": ${error instanceof Error ? error.message : String(error)}`));
  }

  return () => {
    live.close();
    clearInterval(clock);
    cancelAnimationFrame(frame);
    chart.destroy();
  };
}
