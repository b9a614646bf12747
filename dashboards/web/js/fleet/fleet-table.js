import { h } from '../dom.js';
import { ago, duration, kgNumber, kgRange, microjoules, percent, power, times } from '../format.js';
import { metrics } from '../metrics.js';
import { DEFAULT_ONLINE_THRESHOLD_MS, statusTitle } from '../online.js';
import { assumedDelta, LOW_DATA_S, MATERIAL_DELTA_FRACTION, rowState, staleSinceMs } from './fleet-state.js';

/** Pixels per row: fixed so only the visible rows need to exist in the DOM (1 000+ devices); 44 px is a touch target. */
export const ROW_HEIGHT_PX = 44;
/** Rows rendered above and below the viewport so fast scrolling shows no gap. */
const OVERSCAN_ROWS = 8;

/**
 * @typedef {import('./fleet-model.js').FleetRow} FleetRow
 * @typedef {import('./fleet-model.js').SortKey} SortKey
 */

/**
 * The table's columns; labels that name the assumed power take it from the catalogue.
 * @param {string} assumedLabel the assumed power, e.g. "1 mW"
 * @returns {{ key: SortKey, label: string, title: string }[]}
 */
export function columns(assumedLabel) {
  return [
    { key: 'id', label: 'Device', title: 'Device name and id; open it for the live power trace and footprint by stage' },
    {
      key: 'status',
      label: 'Status',
      title:
        'online: its last window ended within the online threshold and no last will fired; stale: its MQTT status says connected but no window came within the threshold; offline: its last will fired, or its last window aged past the threshold',
    },
    { key: 'coverage', label: 'Coverage', title: 'Observed seconds ÷ span between first and last window (%)' },
    {
      key: 'power',
      label: 'Avg power',
      title: `Measured average power (total energy ÷ observed time), or the ${assumedLabel} assumption until a device reports`,
    },
    {
      key: 'ratio',
      label: `vs ${assumedLabel}`,
      title: `Average power ÷ the seed's ${assumedLabel} assumption (harvard-edge/TinyML-Footprint 2022), and what it changes in the lifetime footprint (kg CO2e); highlighted only when that change is at least ${MATERIAL_DELTA_FRACTION * 100} % of the footprint at ${assumedLabel}`,
    },
    { key: 'total', label: 'Lifetime', title: 'Projected lifetime footprint, kg CO2e, typical value with min–max range' },
    { key: 'accrued', label: 'To date', title: 'Footprint accrued since deployment (embodied up front + use so far), kg CO2e' },
  ];
}

/**
 * A virtualised table: a fixed-height scroll body holds a spacer as tall as every row; only the rows in view (plus
 * overscan) exist, keyed by device id and updated in place so focus survives live updates. The rows come from the
 * server a page at a time: `onRange` tells which indices are in view, `rowAt` gives those loaded so far.
 * @param {{ assumedPowerW: number, assumedLabel: string, assumedTitle: string, onSort: (key: SortKey) => void,
 *   onRange: (first: number, last: number) => void }} options
 */
export function createFleetTable(options) {
  const headCells = columns(options.assumedLabel).map((column) =>
    h(
      'div',
      { role: 'columnheader', class: `cell c-${column.key}`, 'aria-sort': 'none' },
      h('button', { type: 'button', class: 'sort', title: column.title, 'data-sort': column.key, onclick: () => options.onSort(column.key) }, column.label),
    ),
  );
  const spacer = h('div', { class: 'vspacer' });
  const body = h('div', { class: 'vbody', id: 'fleet-body', role: 'rowgroup', tabindex: '0', 'aria-label': 'Devices (scroll for more)' }, spacer);
  const table = h(
    'div',
    { class: 'vtable', role: 'table', 'aria-label': 'Devices' },
    h('div', { class: 'vhead', role: 'rowgroup' }, h('div', { class: 'vrow head', role: 'row' }, ...headCells)),
    body,
  );
  table.style.setProperty('--row-h', `${ROW_HEIGHT_PX}px`);

  /** @type {Map<string, { el: HTMLElement, row: FleetRow | null, nowBucket: number }>} */
  const live = new Map();
  let rowCount = 0;
  /** @type {(index: number) => FleetRow | undefined} */
  let rowAt = () => undefined;
  let serverNowMs = Date.now();
  let thresholdMs = DEFAULT_ONLINE_THRESHOLD_MS;

  body.addEventListener('scroll', () => paint(), { passive: true });

  /** @param {FleetRow} row @param {import('./fleet-state.js').DeviceState} state */
  function buildRow(row, state) {
    const ratio = row.powerW / options.assumedPowerW;
    const kind = row.powerKind === 'measured' ? 'measured' : row.powerKind;
    const since = staleSinceMs(row, state);
    const delta = assumedDelta(row);
    const lowData = row.powerKind === 'measured' && row.observedS < LOW_DATA_S;
    // The presence line already says "offline since … by its MQTT status" when it agrees; else the state comes first.
    const stateTitle =
      row.presence?.state === state
        ? statusTitle(row.lastSeenMs, row.presence)
        : `${state}${since === null ? '' : ` since ${new Date(since).toISOString()}`}; ${statusTitle(row.lastSeenMs, row.presence)}`;
    return [
      h(
        'div',
        // Element Timing (on the block that holds the text, not the inline link): when rows are painted (bench/dashboard.ts's "first render")
        { role: 'cell', class: 'cell c-id', elementtiming: 'fleet-row' },
        h(
          'a',
          {
            href: `#/device/${encodeURIComponent(row.id)}`,
            title: `${row.name} · ${row.system} · grid ${row.grid}${row.fleet ? ` · fleet ${row.fleet}` : ''}`,
          },
          row.name,
        ),
        row.name !== row.id ? h('span', { class: 'sub' }, row.id) : null,
      ),
      h(
        'div',
        { role: 'cell', class: 'cell c-status', title: stateTitle },
        h('span', { class: `dot ${state === 'online' ? 'on' : state}`, 'aria-hidden': 'true' }),
        h('span', { class: 'word' }, state),
        h(
          'span',
          { class: 'sub' },
          state === 'online' || since === null ? ago(row.lastSeenMs, serverNowMs) : `for ${duration(Math.max(0, (serverNowMs - since) / 1000))}`,
        ),
      ),
      h(
        'div',
        {
          role: 'cell',
          class: 'cell c-coverage num',
          title:
            state === 'online'
              ? 'observed time ÷ time since first window'
              : 'observed time ÷ time from its first to its last window: nothing since then is counted',
        },
        percent(row.coverage),
      ),
      h(
        'div',
        {
          role: 'cell',
          class: 'cell c-power num',
          title:
            row.powerKind === 'measured'
              ? `measured: ${row.energyJ.toFixed(3)} J over ${row.observedS.toFixed(0)} s in ${row.windows} windows` +
                (row.inferences > 0 ? `; ${microjoules(row.energyJ / row.inferences)} per inference over ${row.inferences} inferences` : '')
              : options.assumedTitle,
        },
        power(row.powerW),
        h('span', { class: `sub ${kind}` }, kind),
      ),
      h(
        'div',
        {
          role: 'cell',
          class: `cell c-ratio num${delta.material ? ` material ${delta.direction}` : ''}`,
          title:
            row.powerKind === 'measured'
              ? `${power(row.powerW)} ÷ ${options.assumedLabel} assumed; lifetime ${kgNumber(row.totalKgCO2e)} kg vs ${kgNumber(row.assumedTotalKgCO2e)} kg at ${options.assumedLabel}` +
                `${delta.material ? '' : ` (a change under ${MATERIAL_DELTA_FRACTION * 100} % of it: not highlighted)`}.\n${options.assumedTitle}`
              : `no measured power: the ${options.assumedLabel} assumption itself.\n${options.assumedTitle}`,
        },
        row.powerKind === 'measured' ? times(ratio) : '–',
        row.powerKind === 'measured' ? h('span', { class: 'sub' }, `${delta.deltaKgCO2e >= 0 ? '+' : '−'}${kgNumber(Math.abs(delta.deltaKgCO2e))} kg`) : null,
      ),
      h(
        'div',
        {
          role: 'cell',
          class: 'cell c-total num',
          title:
            row.error ??
            `lifetime kg CO2e (typical); range ${kgRange(row.totalRange)}; at ${options.assumedLabel} it would be ${kgNumber(row.assumedTotalKgCO2e)} kg` +
              (lowData ? `; its measured power rests on ${duration(row.observedS)} of data only` : ''),
        },
        row.error ? h('span', { class: 'error' }, 'error') : `${kgNumber(row.totalKgCO2e)} kg`,
        lowData ? h('span', { class: 'sub low-data' }, `from ${duration(row.observedS)} of data`) : h('span', { class: 'sub' }, kgRange(row.totalRange)),
      ),
      h(
        'div',
        {
          role: 'cell',
          class: 'cell c-accrued num',
          title: row.accruedKgCO2e === null ? 'no deployment date: nothing accrued yet' : 'kg CO2e accrued since deployment',
        },
        row.accruedKgCO2e === null ? '–' : `${kgNumber(row.accruedKgCO2e)} kg`,
      ),
    ];
  }

  function paint() {
    const viewport = body.clientHeight || ROW_HEIGHT_PX * 10;
    const first = Math.max(0, Math.floor(body.scrollTop / ROW_HEIGHT_PX) - OVERSCAN_ROWS);
    const last = Math.min(rowCount, Math.ceil((body.scrollTop + viewport) / ROW_HEIGHT_PX) + OVERSCAN_ROWS);
    const nowBucket = Math.floor(serverNowMs / 1000);
    const keep = new Set();
    /** @type {Element} */
    let cursor = spacer;
    for (let index = first; index < last; index += 1) {
      const row = rowAt(index);
      if (row === undefined || keep.has(row.id)) continue; // not loaded yet (or, while a page reloads, seen twice)
      keep.add(row.id);
      let entry = live.get(row.id);
      if (entry === undefined) {
        entry = { el: h('div', { role: 'row', class: 'vrow', 'data-id': row.id }), row: null, nowBucket: -1 };
        live.set(row.id, entry);
      }
      if (entry.row !== row || entry.nowBucket !== nowBucket) {
        const state = rowState(row, serverNowMs, thresholdMs);
        entry.el.replaceChildren(...buildRow(row, state));
        entry.el.dataset['state'] = state;
        entry.row = row;
        entry.nowBucket = nowBucket;
        metrics.rowsRendered += 1;
      }
      entry.el.style.transform = `translateY(${index * ROW_HEIGHT_PX}px)`;
      entry.el.setAttribute('aria-rowindex', String(index + 2));
      if (cursor.nextElementSibling !== entry.el) cursor.after(entry.el);
      cursor = entry.el;
    }
    for (const [id, entry] of live) {
      if (!keep.has(id)) {
        entry.el.remove();
        live.delete(id);
      }
    }
    options.onRange(first, last);
  }

  return {
    element: table,
    /**
     * @param {number} count rows in this order (on the server) @param {(index: number) => FleetRow | undefined} at
     * @param {{ key: SortKey, direction: 1 | -1 }} sort
     * @param {number} now server clock estimate, ms @param {number} threshold online threshold, ms
     */
    render(count, at, sort, now, threshold) {
      rowCount = count;
      rowAt = at;
      serverNowMs = now;
      thresholdMs = threshold;
      spacer.style.height = `${rowCount * ROW_HEIGHT_PX}px`;
      table.setAttribute('aria-rowcount', String(rowCount + 1));
      for (const cell of headCells) {
        const key = cell.querySelector('button')?.dataset['sort'];
        cell.setAttribute('aria-sort', key === sort.key ? (sort.direction === 1 ? 'ascending' : 'descending') : 'none');
      }
      paint();
    },
  };
}
