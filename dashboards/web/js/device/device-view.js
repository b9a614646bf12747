import { card } from '../cards.js';
import { ApiError, getCatalogue, getJson } from '../api.js';
import { comparison } from '../breakdown.js';
import { h } from '../dom.js';
import { ago, duration, energy, kg, kgNumber, kgRange, microgram, microjoules, percent, power, powerLabel, source, times } from '../format.js';
import { openLive } from '../live.js';
import { metrics, recordError } from '../metrics.js';
import { DEFAULT_ONLINE_THRESHOLD_MS, statusTitle } from '../online.js';
import { createAccrualChart } from './accrual-chart.js';
import { createChartPanel } from './chart-panel.js';
import { deviceEditForm } from './device-edit.js';
import { deviceState, newerDeviceState } from './device-status.js';
import { measuredVsAssumed, stageChart } from './footprint-panels.js';
import { sciPanel } from './sci-panel.js';
import { timestampMs } from './time-format.js';
import { download, windowsCsv } from './windows-csv.js';
import { replaceHashInPlace } from '../view-url.js';

/** Milliseconds between repaints of "last seen" and the online state when nothing arrives. */
const CLOCK_REPAINT_MS = 1_000;
/** A measured average whose 95 % interval is wider than this (fraction of the value) is flagged as built from little data. */
const LOW_CONFIDENCE_RELATIVE = 0.2;

/** Words per device state, for the header and the cards. */
const STATE_LABEL = { online: 'online', stale: 'stale', offline: 'offline', 'no-data': 'no data yet' };

/**
 * Device view: status (online / stale / offline, since when), power chart with range picker and span selection,
 * energy and coverage, confidence, per inference, footprint by stage, accrued vs lifetime, comparisons, edit, CSV.
 * @param {HTMLElement} root
 * @param {string} id
 * @param {URLSearchParams} [params] the route's query: `range` (a preset: 5m, 1h, 6h, 1d, 7d, 30d, all) or `from` and `to` (epoch ms)
 * @returns {Promise<() => void>}
 */
export async function mountDeviceView(root, id, params = new URLSearchParams()) {
  metrics.view = 'device';
  const catalogue = await getCatalogue();
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  const assumedLabel = powerLabel(assumedPowerW);
  /** @type {any} */
  let initial;
  try {
    initial = await getJson(`/api/devices/${encodeURIComponent(id)}/footprint`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      root.replaceChildren(
        h(
          'section',
          { class: 'device not-found', id: 'device-not-found' },
          h('p', null, h('a', { href: '#/fleet' }, '← Fleet')),
          h('h1', null, 'Device not found'),
          h('p', null, `No device "${id}" is registered with this service. Check the id, or register it (POST /api/devices, or import-devices).`),
        ),
      );
      return () => {};
    }
    throw error;
  }

  /** @type {any} */
  let state = { ...initial, thresholdMs: DEFAULT_ONLINE_THRESHOLD_MS };
  let offsetMs = 0;
  let frame = 0;
  /**
   * The footprint last drawn in the panels below the chart: they are rebuilt only when it changes (open details stay open).
   * @type {unknown}
   */
  let drawnFootprint = null;
  /** @type {{ key: string, chart: ReturnType<typeof createAccrualChart> } | null} */
  let accrual = null;

  const header = h('div', { class: 'device-head' });
  const stats = h('div', { class: 'cards', id: 'device-stats' });
  const lifetimeText = h('div');
  const accrualBox = h('div', {
    class: 'accrual-chart',
    id: 'device-accrual-chart',
    role: 'img',
    'aria-label': 'Footprint accrued over the lifetime, kg CO2e',
  });
  const batteryText = h('div');
  const lifetime = h('div', { class: 'panel', id: 'device-lifetime' }, h('h2', null, 'Accrued to date vs lifetime'), lifetimeText, accrualBox, batteryText);
  const stagesBox = h('div', { class: 'panel' });
  const sciBox = h('div', { class: 'panel', id: 'device-sci-panel' });
  const comparisonBox = h('div', { class: 'panel' });
  const editBox = h('div', { id: 'device-edit-box' });
  const csvMessage = h('span', { class: 'sub', id: 'device-csv-message', role: 'status' });
  const chartPanel = createChartPanel({
    deviceId: id,
    assumedPowerW,
    assumedLabel,
    nowMs: () => Date.now() + offsetMs,
    firstSeenMs: () => state.aggregate?.firstSeenMs ?? null,
    // The range travels in the URL (replaceState: no new history entry, no re-mount), so a link shows the same view.
    onViewChange(view) {
      const query = view.preset === 'custom' ? `from=${view.fromMs}&to=${view.toMs}` : view.preset === '1h' ? '' : `range=${view.preset}`;
      const hash = `#/device/${encodeURIComponent(id)}${query === '' ? '' : `?${query}`}`;
      replaceHashInPlace(hash, history.state);
    },
  });
  const csvButton = h('button', { type: 'button', id: 'device-csv', onclick: () => void exportCsv() }, 'Download windows in view (CSV)');
  chartPanel.element.append(h('p', { class: 'controls' }, csvButton, csvMessage));
  root.replaceChildren(
    h(
      'section',
      { class: 'device' },
      h('p', null, h('a', { href: '#/fleet' }, '← Fleet')),
      header,
      stats,
      chartPanel.element,
      h('div', { class: 'grid2' }, h('div', null, lifetime, comparisonBox), h('div', null, stagesBox, sciBox)),
      editBox,
    ),
  );

  async function exportCsv() {
    const { fromMs, toMs } = chartPanel.range;
    csvMessage.textContent = 'Reading windows…';
    try {
      const result = await windowsCsv(id, fromMs, toMs);
      download(`${id}-windows-${new Date(fromMs).toISOString().slice(0, 19).replace(/:/g, '')}.csv`, result.csv);
      csvMessage.textContent = `${result.windows} windows${result.truncated ? ' (the first ones only: narrow the range for the rest)' : ''}`;
      csvMessage.dataset['windows'] = String(result.windows);
    } catch (error) {
      recordError(String(error));
      csvMessage.textContent = `Export failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  async function renderEdit() {
    try {
      editBox.replaceChildren(
        await deviceEditForm({
          device: state.device,
          footprint: state.footprint,
          catalogue,
          onSaved: () => void refresh(),
        }),
      );
    } catch (error) {
      recordError(String(error));
    }
  }

  /**
   * Read the footprint again: after an edit (the live stream carries it only with the next window), and on each hello of
   * the stream (what changed between the first read and the subscription, a last will for one, is never streamed).
   */
  async function refresh() {
    try {
      const fresh = await getJson(`/api/devices/${encodeURIComponent(id)}/footprint`);
      state = { ...newerDeviceState(state, fresh), thresholdMs: state.thresholdMs };
      schedule();
    } catch (error) {
      recordError(String(error));
    }
  }

  function schedule() {
    if (frame === 0) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    const { device, aggregate, status, footprint, powerUncertainty, perInference } = state;
    const nowMs = Date.now() + offsetMs;
    const now = deviceState(status, nowMs, state.thresholdMs);
    const since = now.sinceMs === null ? '' : ` since ${timestampMs(now.sinceMs)}`;
    header.replaceChildren(
      h('h1', null, device.name, device.name !== device.id ? h('span', { class: 'sub' }, ` ${device.id}`) : null),
      h(
        'p',
        { class: 'muted' },
        h('span', { class: `dot ${now.state === 'online' ? 'on' : now.state}`, 'aria-hidden': 'true' }),
        h(
          'span',
          {
            id: 'device-online',
            class: `state state-${now.state}`,
            'data-state': now.state,
            title: `${now.why}. ${statusTitle(status.lastSeenMs, status.presence)}`,
          },
          `${STATE_LABEL[now.state]}${since}`,
        ),
        ` · last window ${status.lastSeenMs === null ? 'none yet' : ago(status.lastSeenMs, nowMs)} · ${footprint.system.label}`,
        h('span', { title: source(footprint.grid.provenance, `${footprint.grid.kgCO2ePerKWh.toFixed(3)} kg CO2e/kWh`) }, ` · grid ${footprint.grid.label}`),
        ` · ${footprint.lifetimeYears} years`,
        device.fleet ? ` · fleet ${device.fleet}` : '',
        device.deployedAt ? ` · deployed ${device.deployedAt.slice(0, 10)}` : ' · not deployed yet',
      ),
    );
    stats.dataset['state'] = now.state;
    chartPanel.setState(now.state, status.lastSeenMs);
    const p = footprint.power;
    const confidence = confidenceText(powerUncertainty, aggregate);
    stats.replaceChildren(
      card(
        now.state === 'online' ? 'Average power' : `Average power (${STATE_LABEL[now.state]})`,
        power(p.powerW),
        p.kind === 'measured' ? `${confidence.text} · ${times(p.powerW / assumedPowerW)} the ${assumedLabel} assumption` : `${p.kind}: no measurement yet`,
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
        `${duration(aggregate?.observedS ?? 0)} observed${now.state === 'online' || status.lastSeenMs === null ? '' : `, up to the last window ${ago(status.lastSeenMs, nowMs)}`}`,
        'device-coverage',
        'observed seconds ÷ time between the first and last window (it does not count the time since the last window)',
      ),
      card(
        'Lifetime footprint',
        kg(footprint.totalKgCO2e),
        `${kgRange(footprint.totalRange)}${p.kind === 'measured' && confidence.low ? ` · from ${duration(aggregate?.observedS ?? 0)} of data` : ''}`,
        'device-total',
        'projected lifetime kg CO2e at the measured power: training share + embodied + transport + use + end of life',
      ),
    );
    for (const el of stats.querySelectorAll('.card')) el.classList.toggle('stale', now.state !== 'online');
    stats.querySelector('.card:has(#device-power)')?.classList.toggle('low-confidence', confidence.low);
    if (drawnFootprint !== footprint) {
      drawnFootprint = footprint;
      renderLifetime(footprint, device);
      stagesBox.replaceChildren(h('h2', null, 'Footprint by stage'), stageChart(footprint, catalogue));
      sciBox.replaceChildren(h('h2', null, 'Per inference (SCI)'), sciPanel(state.perInference));
      comparisonBox.replaceChildren(
        h('h2', null, 'Measured vs assumed'),
        measuredVsAssumed(footprint, assumedPowerW),
        h('details', { class: 'reference-devices' }, h('summary', null, 'Compared with other devices'), comparison(footprint, catalogue.assumptions, 'device')),
      );
    }
    metrics.renders += 1;
    if (metrics.firstRenderMs === null) metrics.firstRenderMs = performance.now();
  }

  /**
   * How sure the measured average is, in words: "± 9.5 % (95 %, 30 windows, 300 s observed)"; little data says so.
   * @param {any} u powerUncertainty @param {any} aggregate
   */
  function confidenceText(u, aggregate) {
    const observed = duration(aggregate?.observedS ?? 0);
    if (!u || u.halfWidthW === null)
      return { text: `${u?.windows ?? aggregate?.windows ?? 0} window(s), ${observed} observed: too little data for an interval`, low: true };
    const relative = u.combinedRelative ?? u.relativeHalfWidth;
    const low = relative === null || relative > LOW_CONFIDENCE_RELATIVE;
    return { text: `± ${percent(relative)} (95 %, ${u.windows} windows, ${observed} observed)${low ? ': little data' : ''}`, low };
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

  /** @param {any} footprint @param {any} device */
  function renderLifetime(footprint, device) {
    const accrued = footprint.accrued;
    const battery = footprint.battery;
    const fraction = accrued === null ? 0 : accrued.kgCO2e / footprint.totalKgCO2e;
    const key = accrued === null ? '' : `${device.deployedAt} ${footprint.lifetimeYears}`;
    if (accrual !== null && accrual.key !== key) {
      accrual.chart.destroy();
      accrual = null;
    }
    if (accrued !== null) {
      if (accrual === null) accrual = { key, chart: createAccrualChart(accrualBox, footprint, device.deployedAt) };
      else accrual.chart.update(footprint);
    }
    accrualBox.hidden = accrued === null;
    lifetimeText.replaceChildren(
      accrued === null
        ? h('p', { class: 'muted', id: 'device-accrued' }, 'Not deployed: set "Deployed at" (Edit device, below) to see the footprint accrued so far.')
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
            h(
              'p',
              { class: 'muted meter-legend' },
              `Bar: accrued share of the lifetime footprint. Tick: time elapsed (${percent(accrued.fractionOfLifetime)} of ${footprint.lifetimeYears} years).`,
            ),
          ),
    );
    batteryText.replaceChildren(
      h(
        'p',
        { id: 'device-battery', title: battery ? source(battery.provenance) : 'power supply is not a rechargeable battery' },
        battery === null
          ? 'No rechargeable battery: no replacements.'
          : `Battery: ${battery.capacityWh} Wh, ${battery.recharges.toFixed(1)} recharges over the lifetime${battery.rechargeIntervalH === null ? '' : ` (every ${duration(battery.rechargeIntervalH * 3600)})`}, ${battery.replacements} replacement(s) = ${kgNumber(battery.replacementKgCO2e)} kg${accrued ? `; ${accrued.batteryReplacements} so far` : ''}.`,
      ),
    );
  }

  const live = openLive({
    device: id,
    onHello(hello) {
      offsetMs = hello.serverNowMs - Date.now();
      state.thresholdMs = hello.onlineThresholdMs;
      schedule();
      void refresh();
    },
    onUpdate(update) {
      const points = update.points[id];
      if (points && points.length > 0) chartPanel.onLive(points);
      const fresh = update.footprints[id];
      if (fresh) state = { ...newerDeviceState(state, fresh), thresholdMs: state.thresholdMs };
      schedule();
    },
  });
  const clock = window.setInterval(schedule, CLOCK_REPAINT_MS);
  schedule();
  void renderEdit();
  try {
    await live.ready;
  } catch (error) {
    recordError(String(error));
  }
  const numberParam = (/** @type {string} */ name) => (params.has(name) ? Number(params.get(name)) : null);
  chartPanel.start({ preset: params.get('range'), fromMs: numberParam('from'), toMs: numberParam('to') });

  return () => {
    live.close();
    clearInterval(clock);
    cancelAnimationFrame(frame);
    chartPanel.destroy();
    accrual?.chart.destroy();
  };
}
