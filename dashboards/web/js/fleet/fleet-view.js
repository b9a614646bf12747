import { card } from '../cards.js';
import { getCatalogue, getJson } from '../api.js';
import { h } from '../dom.js';
import { energy, kg, kgRange, power, powerLabel, source } from '../format.js';
import { openLive } from '../live.js';
import { metrics, recordError } from '../metrics.js';
import { DEFAULT_ONLINE_THRESHOLD_MS } from '../online.js';
import { filterRows, newerRow, sortRows, totals } from './fleet-model.js';
import { createFleetTable } from './fleet-table.js';

/** Milliseconds between repaints when nothing arrives: "last seen" and online status age with time. */
const CLOCK_REPAINT_MS = 1_000;
/** Milliseconds to wait after typing before filtering (one pass per pause, not per key). */
const FILTER_DEBOUNCE_MS = 120;
/** Milliseconds to wait for the event stream before loading the snapshot anyway (the stream then catches up). */
export const LIVE_READY_TIMEOUT_MS = 3_000;

/**
 * @typedef {import('./fleet-model.js').FleetRow} FleetRow
 * @typedef {import('./fleet-model.js').SortKey} SortKey
 * @typedef {import('./fleet-model.js').StatusFilter} StatusFilter
 */

/**
 * Fleet view: totals, filter, sortable virtualised table, live rows from /api/events.
 * @param {HTMLElement} root
 * @param {URLSearchParams} params sort/filter state from the URL (#/fleet?sort=total&dir=desc&q=&status=)
 * @returns {Promise<() => void>} dispose
 */
export async function mountFleetView(root, params) {
  metrics.view = 'fleet';
  const catalogue = await getCatalogue();
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  const assumedLabel = powerLabel(assumedPowerW);
  const assumedTitle = source(catalogue.assumptions.assumedPowerProvenance, `assumed ${power(assumedPowerW)} continuous`);
  /** @type {Map<string, FleetRow>} */
  const rows = new Map();
  let offsetMs = 0;
  let thresholdMs = DEFAULT_ONLINE_THRESHOLD_MS;
  /** @type {{ key: SortKey, direction: 1 | -1 }} */
  const sort = { key: /** @type {SortKey} */ (params.get('sort') ?? 'id'), direction: params.get('dir') === 'desc' ? -1 : 1 };
  const filter = { text: params.get('q') ?? '', status: /** @type {StatusFilter} */ (params.get('status') ?? 'all') };
  let dataChanged = true;
  /** @type {FleetRow[]} */
  let view = [];
  let frame = 0;
  let loaded = false;

  const table = createFleetTable({
    assumedPowerW,
    assumedLabel,
    assumedTitle,
    onSort(key) {
      sort.direction = sort.key === key ? /** @type {1 | -1} */ (-sort.direction) : 1;
      sort.key = key;
      syncUrl();
      invalidate();
    },
  });
  const totalsBox = h('div', { class: 'cards', id: 'fleet-totals', 'aria-live': 'off' });
  const count = h('span', { id: 'fleet-count', class: 'muted', role: 'status' });
  const filterInput = /** @type {HTMLInputElement} */ (
    h('input', { id: 'fleet-filter', type: 'search', placeholder: 'id, name, system, fleet, grid', value: filter.text, autocomplete: 'off' })
  );
  const statusSelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'fleet-status' },
      ...[
        ['all', 'all devices'],
        ['online', 'online'],
        ['offline', 'offline'],
        ['measured', 'measured power'],
        ['assumed', 'power assumed (no data)'],
        ['above', `above ${assumedLabel}`],
      ].map(([value, label]) => h('option', { value, selected: value === filter.status }, label)),
    )
  );
  let debounce = 0;
  filterInput.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = window.setTimeout(() => {
      filter.text = filterInput.value;
      syncUrl();
      invalidate();
    }, FILTER_DEBOUNCE_MS);
  });
  statusSelect.addEventListener('change', () => {
    filter.status = /** @type {StatusFilter} */ (statusSelect.value);
    syncUrl();
    invalidate();
  });

  root.replaceChildren(
    h(
      'section',
      { class: 'fleet' },
      h('h1', null, 'Fleet'),
      totalsBox,
      h('div', { class: 'controls' }, h('label', null, 'Filter ', filterInput), h('label', null, 'Show ', statusSelect), count),
      table.element,
    ),
  );

  function syncUrl() {
    const query = new URLSearchParams();
    if (sort.key !== 'id') query.set('sort', sort.key);
    if (sort.direction === -1) query.set('dir', 'desc');
    if (filter.text) query.set('q', filter.text);
    if (filter.status !== 'all') query.set('status', filter.status);
    const hash = `#/fleet${query.size > 0 ? `?${query}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  function invalidate() {
    dataChanged = true;
    schedule();
  }

  function schedule() {
    if (frame === 0) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    if (!loaded) return;
    const nowMs = Date.now() + offsetMs;
    if (dataChanged) {
      view = sortRows(filterRows([...rows.values()], { ...filter, assumedPowerW, serverNowMs: nowMs, thresholdMs }), sort.key, sort.direction);
      renderTotals(nowMs);
      count.textContent = view.length === rows.size ? `${rows.size} devices` : `${view.length} of ${rows.size} devices shown`;
      dataChanged = false;
    }
    table.render(view, sort, nowMs, thresholdMs);
    metrics.renders += 1;
    if (metrics.firstRenderMs === null) metrics.firstRenderMs = performance.now();
  }

  /** @param {number} nowMs */
  function renderTotals(nowMs) {
    const t = totals(rows.values(), nowMs, thresholdMs);
    const delta = t.totalKgCO2e - t.assumedTotalKgCO2e;
    totalsBox.replaceChildren(
      card(
        'Devices',
        String(t.devices),
        `${t.online} online · ${t.measured} measured`,
        'fleet-devices',
        'registered devices; online = by its MQTT status (offline when its last will fires), else reported within the threshold',
      ),
      card(
        'Lifetime footprint',
        kg(t.totalKgCO2e),
        kgRange({ min: t.min, typical: t.totalKgCO2e, max: t.max }),
        'fleet-total',
        "sum of every device's projected lifetime footprint, kg CO2e (typical, with min–max of the Pirson & Bol ranges)",
      ),
      card(
        `At ${assumedLabel} assumed`,
        kg(t.assumedTotalKgCO2e),
        `${delta >= 0 ? '+' : '−'}${kg(Math.abs(delta))} measured vs assumed`,
        'fleet-assumed',
        assumedTitle,
      ),
      card(
        'Accrued to date',
        kg(t.accruedKgCO2e),
        'since each deployment',
        'fleet-accrued',
        'embodied, transport and training count from deployment day; use accrues with time',
      ),
      card(
        'Average power',
        power(t.averagePowerW),
        `${energy(t.energyJ)} measured`,
        'fleet-power',
        'total measured energy ÷ total observed time over every reporting device',
      ),
    );
  }

  const live = openLive({
    onHello(hello) {
      offsetMs = hello.serverNowMs - Date.now();
      thresholdMs = hello.onlineThresholdMs;
    },
    onUpdate(update) {
      for (const row of update.rows) rows.set(row.id, newerRow(rows.get(row.id), row));
      if (update.rows.length > 0) invalidate();
    },
  });
  const clock = window.setInterval(schedule, CLOCK_REPAINT_MS);

  try {
    // Stream first, snapshot second: nothing that happens in between is missed (newerRow keeps the fresher copy).
    await Promise.race([live.ready, new Promise((resolve) => setTimeout(resolve, LIVE_READY_TIMEOUT_MS))]);
    const snapshot = await getJson('/api/fleet');
    for (const row of snapshot.rows) rows.set(row.id, newerRow(rows.get(row.id), row));
    loaded = true;
    invalidate();
  } catch (error) {
    recordError(String(error));
    root.append(h('p', { class: 'error', role: 'alert' }, `Could not load the fleet: ${error instanceof Error ? error.message : String(error)}`));
  }

  return () => {
    live.close();
    clearInterval(clock);
    clearTimeout(debounce);
    cancelAnimationFrame(frame);
  };
}
