import { card } from '../cards.js';
import { getCatalogue, getJson } from '../api.js';
import { h } from '../dom.js';
import { ago, energy, kg, kgRange, power, powerLabel, source } from '../format.js';
import { onOverview } from '../fleet-status.js';
import { openLive } from '../live.js';
import { metrics, recordError } from '../metrics.js';
import { DEFAULT_ONLINE_THRESHOLD_MS } from '../online.js';
import { newerRow } from './fleet-model.js';
import { createFleetTable } from './fleet-table.js';
import { downloadFleetCsv } from './fleet-csv.js';
import { createOverviewPanel, TOP_N } from './fleet-overview-panel.js';
import { fleetState } from './fleet-state.js';
import { replaceHashInPlace } from '../view-url.js';

/** Milliseconds between repaints when nothing arrives: "last seen" and online status age with time. */
const CLOCK_REPAINT_MS = 1_000;
/** Rows per request: the table asks the server (GET /api/fleet, paged and sorted there) for the pages it shows. */
export const PAGE_ROWS = 100;
/** Milliseconds between reloads of the pages in view and the totals: the order, totals and online counts change. */
export const FLEET_POLL_MS = 2_000;
/** Milliseconds at least between two reloads prompted by live rows (a busy fleet streams rows every tick). */
const LIVE_RELOAD_MS = 1_000;
/** Milliseconds to wait after typing before filtering (one pass per pause, not per key). */
const FILTER_DEBOUNCE_MS = 120;

/**
 * @typedef {import('./fleet-model.js').FleetRow} FleetRow
 * @typedef {import('./fleet-model.js').SortKey} SortKey
 * @typedef {import('./fleet-model.js').StatusFilter} StatusFilter
 */

/**
 * @typedef {{ devices: number, online: number, measured: number, totalKgCO2e: number, totalRange: { min: number, max: number },
 *   assumedTotalKgCO2e: number, accruedKgCO2e: number, energyJ: number, averagePowerW: number | null }} Totals
 * @typedef {{ key: string, sort: { key: SortKey, direction: 1 | -1 }, search: string }} Query
 */

/**
 * Fleet view: totals, filter, sortable virtualised table whose pages come from the server, live rows from /api/events.
 * @param {HTMLElement} root
 * @param {URLSearchParams} params sort/filter state from the URL (#/fleet?sort=total&dir=desc&q=&status=)
 * @returns {Promise<() => void>} dispose
 */
export async function mountFleetView(root, params) {
  metrics.view = 'fleet';
  let offsetMs = 0;
  let thresholdMs = DEFAULT_ONLINE_THRESHOLD_MS;
  /** @type {{ key: SortKey, direction: 1 | -1 }} */
  const sort = { key: /** @type {SortKey} */ (params.get('sort') ?? 'id'), direction: params.get('dir') === 'desc' ? -1 : 1 };
  /** @type {{ text: string, status: StatusFilter, fleet: string | null }} */
  const filter = { text: params.get('q') ?? '', status: /** @type {StatusFilter} */ (params.get('status') ?? 'all'), fleet: params.get('fleet') || null };
  /** @type {import('../fleet-status.js').Overview | null} the whole fleet's, from the header's poll */
  let overview = null;
  /** @type {import('../fleet-status.js').Overview | null} what the cards and the panel show: the selected fleet's, else the whole fleet's */
  let shownOverview = null;
  /**
   * What the table shows: one query's pages as the server sent them. A new query's first page replaces it whole, so
   * the header's sort state and the rows below it always agree.
   * @type {{ query: Query, pages: Map<number, FleetRow[]>, matched: number, totals: Totals | null }}
   */
  let shown = { query: currentQuery(), pages: new Map(), matched: 0, totals: null };
  /** Requests under way, by query key and page. */
  const inFlight = new Set();
  /**
   * Rows streamed while a page request is under way, newest per device: a page computed before such a row arrived
   * (the row is not in it) takes it on arrival, a page computed after it is at least as new (newerRow keeps the newer).
   * Emptied when no request is under way; at most one row per device.
   * @type {Map<string, FleetRow>}
   */
  const streamedDuringLoad = new Map();
  /** The event stream's hellos so far: a page asked before the latest one may predate the subscription, so it is asked again. */
  let hellos = 0;
  let range = { first: 0, last: PAGE_ROWS };
  let lastLiveReloadMs = 0;
  let frame = 0;
  let loaded = false;
  let disposed = false;
  let lastError = '';
  /** @type {ReturnType<typeof createFleetTable> | null} built once the catalogue names the assumed power */
  let table = null;
  /** What the cards show now: rebuilt when either changes. @type {{ totals: Totals | null, overview: object | null }} */
  let totalsShown = { totals: null, overview: null };

  /** @returns {Query} */
  function currentQuery() {
    const search = new URLSearchParams();
    search.set('sort', sort.key);
    search.set('dir', sort.direction === 1 ? 'asc' : 'desc');
    if (filter.text.trim() !== '') search.set('q', filter.text.trim());
    if (filter.status !== 'all') search.set('status', filter.status);
    if (filter.fleet !== null) search.set('fleet', filter.fleet);
    return { key: search.toString(), sort: { ...sort }, search: search.toString() };
  }

  /** @param {number} index */
  function rowAt(index) {
    return shown.pages.get(Math.floor(index / PAGE_ROWS))?.[index % PAGE_ROWS];
  }

  /** @param {Query} query @param {number} page */
  async function loadPage(query, page) {
    const flight = `${query.key}#${page}`;
    if (inFlight.has(flight)) return;
    inFlight.add(flight);
    const hellosAtSend = hellos;
    let askAgain = false;
    try {
      const body = await getJson(`/api/fleet?${query.search}&offset=${page * PAGE_ROWS}&limit=${PAGE_ROWS}`);
      if (disposed || query.key !== currentQuery().key) return; // the user moved on to another order or filter
      if (shown.query.key !== query.key) shown = { query, pages: new Map(), matched: 0, totals: null };
      const { rows: pageRows, ...totals } = body;
      // A row streamed after this page was computed is kept (newerRow): a reload never takes a device back in time,
      // whether the row came while the page was shown (previous) or while it was on its way (streamedDuringLoad).
      const previous = new Map((shown.pages.get(page) ?? []).map((row) => [row.id, row]));
      shown.pages.set(
        page,
        pageRows.map((/** @type {FleetRow} */ row) => newerRow(newerRow(previous.get(row.id), row), streamedDuringLoad.get(row.id) ?? row)),
      );
      shown.matched = body.matched;
      shown.totals = totals;
      loaded = true;
      // Sent before the stream's (latest) hello: what was stored between this page and the subscription is in neither.
      askAgain = hellosAtSend !== hellos;
      schedule();
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      recordError(String(error));
    } finally {
      inFlight.delete(flight);
      if (inFlight.size === 0) streamedDuringLoad.clear();
    }
    if (askAgain && !disposed) await loadPage(query, page);
  }

  /** Load the pages in view that are missing (or all of them, `reload`), and forget those far from view. */
  function loadRange(reload = false) {
    const query = currentQuery();
    const firstPage = Math.floor(range.first / PAGE_ROWS);
    const lastPage = Math.max(firstPage, Math.floor(Math.max(0, range.last - 1) / PAGE_ROWS));
    const sameQuery = shown.query.key === query.key;
    for (let page = firstPage; page <= lastPage; page += 1) if (reload || !sameQuery || !shown.pages.has(page)) void loadPage(query, page);
    if (sameQuery) for (const page of shown.pages.keys()) if (page < firstPage - 1 || page > lastPage + 1) shown.pages.delete(page);
  }

  // Everything the first page needs, at once: the stream (opened first, so a row stored after the page is streamed),
  // the first page and the catalogue; the rows are painted as soon as the page and the catalogue are there.
  const live = openLive({
    onHello(hello) {
      offsetMs = hello.serverNowMs - Date.now();
      thresholdMs = hello.onlineThresholdMs;
      hellos += 1;
      // Pages asked before this hello may predate the subscription (or a reconnect's gap): ask for them again.
      if (loaded) loadRange(true);
    },
    onUpdate(update) {
      // Rows in view are replaced at once; the order and the totals follow with the next reload of the pages in view.
      const changed = new Map(update.rows.map((row) => [row.id, row]));
      if (inFlight.size > 0) for (const row of update.rows) streamedDuringLoad.set(row.id, newerRow(streamedDuringLoad.get(row.id), row));
      let touched = false;
      for (const [page, pageRows] of shown.pages) {
        if (!pageRows.some((row) => changed.has(row.id))) continue;
        shown.pages.set(
          page,
          pageRows.map((row) => newerRow(row, changed.get(row.id) ?? row)),
        );
        touched = true;
      }
      if (touched) schedule();
      if (update.rows.length > 0 && loaded && Date.now() - lastLiveReloadMs >= LIVE_RELOAD_MS) {
        lastLiveReloadMs = Date.now();
        loadRange(true);
      }
    },
  });
  const firstPage = loadPage(currentQuery(), 0);
  /** @type {any} */
  let catalogue;
  try {
    catalogue = await getCatalogue();
  } catch (error) {
    live.close();
    throw error;
  }
  const assumedPowerW = catalogue.assumptions.assumedPowerW;
  const assumedLabel = powerLabel(assumedPowerW);
  const assumedTitle = source(catalogue.assumptions.assumedPowerProvenance, `assumed ${power(assumedPowerW)} continuous`);

  table = createFleetTable({
    assumedPowerW,
    assumedLabel,
    assumedTitle,
    onSort(key) {
      sort.direction = sort.key === key ? /** @type {1 | -1} */ (-sort.direction) : 1;
      sort.key = key;
      syncUrl();
      loadRange();
    },
    onRange(first, last) {
      if (first === range.first && last === range.last) return;
      range = { first, last };
      loadRange();
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
      loadRange();
    }, FILTER_DEBOUNCE_MS);
  });
  const fleetSelect = /** @type {HTMLSelectElement} */ (h('select', { id: 'fleet-fleet' }, h('option', { value: '' }, 'every fleet')));
  fleetSelect.addEventListener('change', () => setFleet(fleetSelect.value || null));
  /** @param {string | null} fleet */
  function setFleet(fleet) {
    filter.fleet = fleet;
    fleetSelect.value = fleet ?? '';
    syncUrl();
    loadRange();
    void refreshOverview();
  }
  const exportButton = /** @type {HTMLButtonElement} */ (
    h(
      'button',
      { type: 'button', id: 'fleet-export', class: 'btn', title: "every row of this filter and order as CSV (the API's units: W, J, s, kg CO2e)" },
      'Export CSV',
    )
  );
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      await downloadFleetCsv(currentQuery().search, thresholdMs);
    } catch (error) {
      recordError(String(error));
      exportButton.title = `export failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      exportButton.disabled = false;
    }
  });
  const panel = createOverviewPanel({ assumedPowerW, assumedLabel, onFleet: setFleet });
  /** @type {import('./fleet-model.js').FleetRow[] | null} */
  let topRows = null;
  let overviewGeneration = 0;
  /** The selected fleet's overview (when one is) and the top devices by power, then the panel and the cards. */
  async function refreshOverview() {
    if (overview === null || !loaded) return; // the first page first: the panel's requests queue behind it, not before
    const mine = ++overviewGeneration;
    const fleet = filter.fleet;
    const fleetParam = fleet === null ? '' : `&fleet=${encodeURIComponent(fleet)}`;
    try {
      const [scoped, top] = await Promise.all([
        fleet === null ? Promise.resolve(overview) : getJson(`/api/fleet/overview?fleet=${encodeURIComponent(fleet)}`),
        getJson(`/api/fleet?sort=power&dir=desc&status=measured&limit=${TOP_N}${fleetParam}`),
      ]);
      if (disposed || mine !== overviewGeneration) return;
      shownOverview = scoped;
      topRows = top.rows;
      panel.render(scoped, topRows, fleet);
      const fleets = overview.fleets.flatMap((group) => (group.fleet === null ? [] : [group.fleet]));
      if (fleet !== null && !fleets.includes(fleet)) fleets.push(fleet);
      fleets.sort();
      const options = fleets.map((name) => h('option', { value: name, selected: name === fleet }, name));
      if (fleetSelect.options.length - 1 !== fleets.length || fleets.some((name, i) => fleetSelect.options[i + 1]?.value !== name)) {
        fleetSelect.replaceChildren(h('option', { value: '' }, 'every fleet'), ...options);
      }
      fleetSelect.value = fleet ?? '';
      schedule();
    } catch (error) {
      recordError(String(error));
    }
  }
  const unsubscribeOverview = onOverview((next) => {
    overview = next;
    void refreshOverview();
  });
  statusSelect.addEventListener('change', () => {
    filter.status = /** @type {StatusFilter} */ (statusSelect.value);
    syncUrl();
    loadRange();
  });

  root.replaceChildren(
    h(
      'section',
      { class: 'fleet' },
      h('h1', null, 'Fleet'),
      totalsBox,
      panel.element,
      h(
        'div',
        { class: 'controls' },
        h('label', null, 'Filter ', filterInput),
        h('label', null, 'Show ', statusSelect),
        h('label', null, 'Fleet ', fleetSelect),
        count,
        exportButton,
      ),
      table.element,
    ),
  );

  function syncUrl() {
    const query = new URLSearchParams();
    if (sort.key !== 'id') query.set('sort', sort.key);
    if (sort.direction === -1) query.set('dir', 'desc');
    if (filter.text) query.set('q', filter.text);
    if (filter.status !== 'all') query.set('status', filter.status);
    if (filter.fleet !== null) query.set('fleet', filter.fleet);
    const hash = `#/fleet${query.size > 0 ? `?${query}` : ''}`;
    replaceHashInPlace(hash);
  }

  function schedule() {
    if (frame === 0) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    if (!loaded || shown.totals === null || table === null) return;
    const nowMs = Date.now() + offsetMs;
    // The cards change only with a new page (totals) or overview: not rebuilt on every frame (live rows, the clock).
    if (shown.totals !== totalsShown.totals || shownOverview !== totalsShown.overview) {
      renderTotals(shown.totals);
      totalsShown = { totals: shown.totals, overview: shownOverview };
    }
    const devices = shown.totals.devices;
    count.textContent = shown.matched === devices ? `${devices} devices` : `${shown.matched} of ${devices} devices shown`;
    table.render(shown.matched, rowAt, shown.query.sort, nowMs, thresholdMs);
    metrics.renders += 1;
    if (metrics.firstRenderMs === null) metrics.firstRenderMs = performance.now();
  }

  /** The server's totals over the whole fleet (not only the rows shown). @param {Totals} t */
  function renderTotals(t) {
    const delta = t.totalKgCO2e - t.assumedTotalKgCO2e;
    const states = shownOverview?.states ?? null;
    const state = states === null ? 'unknown' : fleetState(states);
    totalsBox.dataset['state'] = state;
    const staleNote =
      state === 'stale' && shownOverview !== null
        ? `stale: no data for ${ago(shownOverview.lastSeenMs, shownOverview.computedAtMs).replace(/ ago$/, '')}`
        : null;
    totalsBox.replaceChildren(
      card(
        'Devices',
        String(t.devices),
        states === null ? `${t.online} online · ${t.measured} measured` : `${states.online} online · ${states.stale} stale · ${states.offline} offline`,
        'fleet-devices',
        'registered devices; online: reported within the online threshold and no last will; stale: connected by its MQTT status but silent; offline: its last will fired or its last window aged past the threshold',
      ),
      card(
        'Lifetime footprint',
        kg(t.totalKgCO2e),
        kgRange({ min: t.totalRange.min, typical: t.totalKgCO2e, max: t.totalRange.max }),
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
        staleNote ?? `${energy(t.energyJ)} measured`,
        'fleet-power',
        'total measured energy ÷ total observed time over every reporting device',
      ),
    );
  }

  const clock = window.setInterval(schedule, CLOCK_REPAINT_MS);
  const poll = window.setInterval(() => loadRange(true), FLEET_POLL_MS);
  schedule();

  try {
    await firstPage;
    if (!loaded) throw new Error(lastError || 'no answer');
    void refreshOverview();
  } catch (error) {
    recordError(String(error));
    root.append(h('p', { class: 'error', role: 'alert' }, `Could not load the fleet: ${error instanceof Error ? error.message : String(error)}`));
  }

  return () => {
    disposed = true;
    unsubscribeOverview();
    live.close();
    clearInterval(clock);
    clearInterval(poll);
    clearTimeout(debounce);
    cancelAnimationFrame(frame);
  };
}
