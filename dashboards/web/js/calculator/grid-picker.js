import { h } from '../dom.js';
import { source } from '../format.js';

/**
 * The grid picker: a search box over the ~600 grid factors and one native select, grouped by source (dataset, with
 * its years and count), each entry with its year and factor. A native select keeps the phone's own picker and the
 * keyboard; the search narrows what it lists (the selected entry always stays).
 */

/**
 * @typedef {{ id: string, label: string, kgCO2ePerKWh: number, year: number | null, dataset: string, gas: string, scope: string }} GridEntry
 */

/** Readable names of the datasets the catalogue lists (the id is kept beside it). */
const DATASET_NAMES = /** @type {Record<string, string>} */ ({
  'epa-ghg-equivalencies': 'US EPA GHG equivalencies',
  'ember-yearly': 'Ember yearly country averages',
});

/** @param {string} dataset */
export function datasetName(dataset) {
  const em = /^electricity-maps-yearly-(\d{4})$/.exec(dataset);
  if (em) return `Electricity Maps yearly zones (${em[1]})`;
  return DATASET_NAMES[dataset] ?? dataset;
}

/** @param {number[]} years */
function yearSpan(years) {
  if (years.length === 0) return 'year unknown';
  const min = Math.min(...years);
  const max = Math.max(...years);
  return min === max ? String(min) : `${min}–${max}`;
}

/** The option text: label (with its year when the label lacks it) and the factor. @param {GridEntry} grid */
export function gridOptionText(grid) {
  const year = grid.year === null ? ' (year unknown)' : grid.label.includes(String(grid.year)) ? '' : ` (${grid.year})`;
  return `${grid.label}${year} — ${grid.kgCO2ePerKWh.toFixed(3)} kg/kWh`;
}

/** Lower-case words a query matches: every word of the query must be in id, label, dataset, source name or year. */
function haystack(/** @type {GridEntry} */ grid) {
  return `${grid.id} ${grid.label} ${grid.dataset} ${datasetName(grid.dataset)} ${grid.year ?? ''}`.toLowerCase();
}

/**
 * @param {string} query @param {GridEntry[]} grids
 * @returns {GridEntry[]} the entries matching every word of the query (all of them for an empty query)
 */
export function filterGrids(query, grids) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return grids;
  return grids.filter((grid) => {
    const text = haystack(grid);
    return words.every((word) => text.includes(word));
  });
}

/**
 * @param {{ grids: GridEntry[], defaultGrid: any, value: string, onChange: (id: string) => void }} options
 * @returns {{ search: HTMLInputElement, select: HTMLSelectElement, count: HTMLElement }}
 */
export function createGridPicker({ grids, defaultGrid, value, onChange }) {
  /** @type {Map<string, GridEntry[]>} */
  const byDataset = new Map();
  for (const grid of grids) byDataset.set(grid.dataset, [...(byDataset.get(grid.dataset) ?? []), grid]);
  const byId = new Map(grids.map((grid) => [grid.id, grid]));
  const defaultOption = () =>
    h('option', { value: '', selected: value === '' }, `default: ${defaultGrid.label} (${defaultGrid.kgCO2ePerKWh.toFixed(3)} kg/kWh)`);
  const select = /** @type {HTMLSelectElement} */ (h('select', { id: 'calc-grid', 'aria-describedby': 'calc-grid-count' }));
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'calc-grid-search',
      type: 'search',
      placeholder: `Search ${grids.length} grids: country, code, source, year`,
      'aria-label': 'Search the grids',
      'aria-controls': 'calc-grid',
      autocomplete: 'off',
    })
  );
  const count = h('span', { id: 'calc-grid-count', class: 'field-note', 'aria-live': 'polite' });

  function render() {
    const matches = new Set(filterGrids(search.value, grids).map((grid) => grid.id));
    const groups = [];
    for (const [dataset, list] of byDataset) {
      const shown = list.filter((grid) => matches.has(grid.id) || grid.id === value);
      if (shown.length === 0) continue;
      const years = [...new Set(list.flatMap((grid) => (grid.year === null ? [] : [grid.year])))];
      groups.push(
        h(
          'optgroup',
          { label: `${datasetName(dataset)} · ${yearSpan(years)} · ${shown.length === list.length ? list.length : `${shown.length} of ${list.length}`}` },
          ...shown.map((grid) => h('option', { value: grid.id, selected: grid.id === value }, gridOptionText(grid))),
        ),
      );
    }
    select.replaceChildren(defaultOption(), ...groups);
    select.value = value;
    count.textContent = search.value.trim() === '' ? `${grids.length} grids` : `${matches.size} of ${grids.length} grids match`;
    const current = byId.get(value);
    select.title = current
      ? `${current.label}: ${current.kgCO2ePerKWh.toFixed(3)} kg ${current.gas}/kWh (${current.scope}); dataset ${current.dataset}`
      : source(defaultGrid.provenance);
  }

  search.addEventListener('input', render);
  select.addEventListener('change', () => {
    value = select.value;
    render();
    onChange(value);
  });
  render();
  return { search, select, count };
}
