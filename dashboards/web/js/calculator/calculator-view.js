import { ApiError, getCatalogue, getGrids, getJson } from '../api.js';
import { breakdown, comparison } from '../breakdown.js';
import { card } from '../cards.js';
import { h } from '../dom.js';
import { kg, kgNumber, kgRange, percent, power, powerLabel, source } from '../format.js';
import { metrics, recordError } from '../metrics.js';
import { replaceViewState } from '../view-url.js';
import { paramsFromState, stateFromParams } from './calc-state.js';
import { CALC_FIELDS, fieldErrors } from './field-errors.js';
import { createGridPicker } from './grid-picker.js';

/** Milliseconds after the last keystroke in a number field before recalculating. */
const INPUT_DEBOUNCE_MS = 250;
/** Select value meaning "enter a kg CO2e value instead of a level". */
const CUSTOM = 'custom';

/**
 * @typedef {import('./calc-state.js').CalcState} CalcState
 */

/**
 * The seed's plug-and-play calculator: a preset, then any block's level or kg value, power, grid, lifetime and
 * training. Every change recalculates through GET /api/calculate and is written to the URL (shareable).
 * @param {HTMLElement} root
 * @param {URLSearchParams} params
 * @returns {Promise<() => void>}
 */
export async function mountCalculatorView(root, params) {
  metrics.view = 'calculator';
  const [catalogue, grids] = await Promise.all([getCatalogue(), getGrids()]);
  const parsed = stateFromParams(params);
  /** @type {CalcState} */
  const state = parsed.state;
  if (!catalogue.systems.some((/** @type {any} */ s) => s.id === state.system)) state.system = catalogue.systems[0].id;
  let sequence = 0;
  let debounce = 0;
  const controller = new AbortController();

  // The headline (cards and the measured-vs-assumed comparison) and the details (breakdown, assumptions): beside the
  // form on a desktop, the headline above the form on a phone (app.css § Calculator).
  const result = h('div', { class: 'calc-result calc-summary', 'aria-live': 'polite' });
  const details = h('div', { class: 'calc-result calc-details' });
  const errorBox = h('p', { class: 'error', role: 'alert', hidden: true });
  // Block overrides of the link that could not be read: shown until the form replaces the link's blocks.
  const blocksErrorBox = h(
    'div',
    { class: 'error', id: 'calc-blocks-error', role: 'alert', hidden: parsed.blockErrors.length === 0 },
    h('p', null, 'Some block overrides in this link were not applied:'),
    h('ul', null, ...parsed.blockErrors.map((text) => h('li', null, text))),
  );
  const share = /** @type {HTMLAnchorElement} */ (h('a', { id: 'calc-share', href: location.href }, 'link to this result'));
  const blocksBody = h('tbody');

  const preset = () => catalogue.systems.find((/** @type {any} */ s) => s.id === state.system);
  const scenario = () => preset().scenario;

  const systemSelect = select(
    'calc-system',
    catalogue.systems.map((/** @type {any} */ s) => [s.id, s.label]),
    state.system,
    (value) => {
      state.system = value;
      state.blocks = {};
      renderBlocks();
      changed();
    },
  );
  systemSelect.title = source(preset().provenance);
  const trainingSelect = select(
    'calc-training',
    [['', 'preset default'], ...catalogue.training.presets.map((/** @type {any} */ t) => [t.id, `${t.label} (${t.kgCO2e} kg)`])],
    state.training,
    (value) => {
      state.training = value;
      changed();
    },
  );
  trainingSelect.title = source(catalogue.training.provenance);
  const gridPicker = createGridPicker({
    grids,
    defaultGrid: catalogue.grids.default,
    value: state.grid,
    onChange: (value) => {
      state.grid = value;
      changed();
    },
  });
  const assumedMw = String(Number((catalogue.assumptions.assumedPowerW * 1000).toPrecision(3)));
  const powerInput = numberInput('calc-power', state.powerMw, `${assumedMw} (assumed)`, '0.001', (value) => {
    state.powerMw = value;
  });
  powerInput.title = source(catalogue.assumptions.assumedPowerProvenance, `average power, mW; empty = the ${assumedMw} mW assumption`);
  const yearsInput = numberInput('calc-years', state.years, String(catalogue.assumptions.lifetimeYears), '0.5', (value) => {
    state.years = value;
  });
  yearsInput.title = source(catalogue.assumptions.lifetimeProvenance, 'lifetime, years');
  const devicesInput = numberInput('calc-training-devices', state.trainingDevices, '1', '1', (value) => {
    state.trainingDevices = value;
  });
  devicesInput.title = 'devices sharing one training run (the seed charges all of it to one device)';

  root.replaceChildren(
    h(
      'section',
      { class: 'calculator' },
      h('h1', null, 'Calculator'),
      h(
        'p',
        { class: 'muted' },
        "Start from one of the seed's five systems, change any block, the power, the grid or the lifetime. The URL holds the state: ",
        share,
        '.',
      ),
      h(
        'div',
        { class: 'calc-layout' },
        h(
          'form',
          { class: 'calc-form', onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
          h(
            'fieldset',
            null,
            h('legend', null, 'System'),
            field('Preset', systemSelect),
            field('Training', trainingSelect),
            field('Devices per training run', devicesInput),
          ),
          h(
            'fieldset',
            null,
            h('legend', null, 'Use'),
            field('Average power (mW)', powerInput),
            field('Grid', gridPicker.select, gridPicker.search, gridPicker.count),
            field('Lifetime (years)', yearsInput),
          ),
          h(
            'fieldset',
            null,
            h('legend', null, 'Hardware blocks (Pirson & Bol levels)'),
            h(
              'table',
              { class: 'blocks' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  h('th', { scope: 'col' }, 'Block'),
                  h('th', { scope: 'col' }, 'Level or value'),
                  h('th', { scope: 'col', class: 'num' }, 'kg CO₂e'),
                ),
              ),
              blocksBody,
            ),
          ),
        ),
        h('div', { class: 'calc-side' }, blocksErrorBox, errorBox, result, details),
      ),
    ),
  );
  renderBlocks();
  void calculate();

  function changed() {
    clearTimeout(debounce);
    blocksErrorBox.hidden = true; // the URL is rewritten from the form: the unreadable parts are gone
    syncUrl();
    void calculate();
  }

  function syncUrl() {
    replaceViewState('calculator', paramsFromState(state));
    share.href = location.href;
  }

  /**
   * @param {string} id @param {string} value @param {string} placeholder @param {string} step
   * @param {(value: string) => void} set
   */
  function numberInput(id, value, placeholder, step, set) {
    const input = /** @type {HTMLInputElement} */ (h('input', { id, type: 'number', inputmode: 'decimal', min: '0', step, value, placeholder }));
    input.addEventListener('input', () => {
      set(input.value);
      clearTimeout(debounce);
      debounce = window.setTimeout(changed, INPUT_DEBOUNCE_MS);
    });
    input.addEventListener('change', () => {
      set(input.value);
      changed();
    });
    return input;
  }

  function renderBlocks() {
    const presetLevels = preset().blocks;
    blocksBody.replaceChildren(
      ...catalogue.blocks.map((/** @type {any} */ block) => {
        const override = state.blocks[block.id];
        const presetLevel = presetLevels[block.id];
        const current = override === undefined ? String(presetLevel) : 'level' in override ? String(override.level) : CUSTOM;
        const kgInput = /** @type {HTMLInputElement} */ (
          h('input', {
            id: `calc-kg-${block.id}`,
            type: 'number',
            min: '0',
            step: '0.01',
            inputmode: 'decimal',
            class: 'kg',
            'aria-label': `${block.label}: kg CO2e`,
            value: override && 'kgCO2e' in override ? String(override.kgCO2e) : '',
            hidden: current !== CUSTOM,
          })
        );
        const levelSelect = /** @type {HTMLSelectElement} */ (
          h(
            'select',
            { id: `calc-block-${block.id}`, 'aria-label': `${block.label}: level` },
            ...block.levels.map((/** @type {any} */ level) =>
              h(
                'option',
                {
                  value: String(level.level),
                  selected: String(level.level) === current,
                  disabled: level.kgCO2e === null,
                  title: source(level.provenance, level.content),
                },
                `L${level.level}: ${shorten(level.content)}${level.kgCO2e === null ? ' (not quantified: enter kg)' : ` — ${kgNumber(level.kgCO2e[scenario()])} kg`}${level.level === presetLevel ? ' ·preset' : ''}`,
              ),
            ),
            h('option', { value: CUSTOM, selected: current === CUSTOM }, 'custom kg CO₂e value'),
          )
        );
        levelSelect.addEventListener('change', () => {
          if (levelSelect.value === CUSTOM) {
            kgInput.hidden = false;
            const level = block.levels.find((/** @type {any} */ l) => l.level === presetLevel);
            kgInput.value = kgInput.value || String(level?.kgCO2e?.[scenario()] ?? 0);
            state.blocks[block.id] = { kgCO2e: Number(kgInput.value) };
            kgInput.focus();
          } else {
            kgInput.hidden = true;
            const level = Number(levelSelect.value);
            if (level === presetLevel) delete state.blocks[block.id];
            else state.blocks[block.id] = { level };
          }
          changed();
        });
        kgInput.addEventListener('input', () => {
          const value = Number(kgInput.value);
          if (kgInput.value !== '' && Number.isFinite(value) && value >= 0) state.blocks[block.id] = { kgCO2e: value };
          clearTimeout(debounce);
          debounce = window.setTimeout(changed, INPUT_DEBOUNCE_MS);
        });
        return h(
          'tr',
          null,
          h('th', { scope: 'row' }, h('label', { for: `calc-block-${block.id}` }, block.label)),
          h('td', null, levelSelect, kgInput),
          h('td', { class: 'num', id: `calc-block-kg-${block.id}` }, '–'),
        );
      }),
    );
  }

  async function calculate() {
    const mine = ++sequence;
    try {
      const body = await getJson(`/api/calculate?${paramsFromState(state)}`, controller.signal);
      if (mine !== sequence) return;
      errorBox.hidden = true;
      showFieldErrors([]);
      renderResult(body);
    } catch (error) {
      if (mine !== sequence || controller.signal.aborted) return;
      recordError(String(error));
      const problem = error instanceof ApiError ? error.problem : { detail: error instanceof Error ? error.message : String(error), errors: [] };
      const errors = fieldErrors(problem);
      showFieldErrors(errors);
      const general = errors.filter((e) => e.field === null || !document.getElementById(`calc-${fieldId(e.field)}-error`));
      errorBox.hidden = general.length === 0;
      errorBox.textContent = general.map((e) => e.text).join('; ');
      result.classList.add('stale');
      details.classList.add('stale');
    }
  }

  /**
   * Each error beside its field (aria-invalid, described by the message); a field without an error is cleared.
   * @param {import('./field-errors.js').FieldError[]} errors
   */
  function showFieldErrors(errors) {
    for (const key of Object.keys(CALC_FIELDS)) {
      const id = fieldId(/** @type {import('./field-errors.js').CalcField} */ (key));
      const box = document.getElementById(`calc-${id}-error`);
      const control = document.getElementById(`calc-${id}`);
      if (!box || !control) continue;
      const mine = errors.filter((e) => e.field === key).map((e) => e.text);
      box.hidden = mine.length === 0;
      box.textContent = mine.join('; ');
      if (mine.length > 0) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
  }

  /** @param {any} body a FootprintResult */
  function renderResult(body) {
    result.classList.remove('stale');
    details.classList.remove('stale');
    for (const stage of body.stages) {
      const cell = document.getElementById(`calc-block-kg-${stage.id}`);
      if (cell) {
        cell.textContent = kgNumber(stage.kgCO2e);
        cell.title = source(stage.provenance, `${stage.label}: ${kgNumber(stage.kgCO2e)} kg CO2e, range ${kgRange(stage.range)}`);
      }
    }
    result.replaceChildren(
      h(
        'div',
        { class: 'cards' },
        card(
          'Lifetime footprint',
          kg(body.totalKgCO2e),
          `range ${kgRange(body.totalRange)}`,
          'calc-total',
          `kg CO2e per device over ${body.lifetimeYears} years (${body.system.label}${body.system.isCustom ? ', modified' : ''})`,
        ),
        card(
          'Use stage',
          kg(body.use.kgCO2e),
          `${power(body.power.powerW)} · ${body.use.gridEnergyWh.toFixed(2)} Wh from the grid`,
          'calc-use',
          source(body.grid.provenance, `${body.grid.label}: ${body.grid.kgCO2ePerKWh.toFixed(3)} kg CO2e/kWh`),
        ),
        card(
          'Battery replacements',
          body.battery === null ? 'none' : String(body.battery.replacements),
          body.battery === null ? 'no rechargeable battery' : `${body.battery.recharges.toFixed(1)} recharges of ${body.battery.capacityWh} Wh`,
          'calc-battery',
          body.battery === null ? 'power supply is not a rechargeable battery' : source(body.battery.provenance),
        ),
      ),
      h('h2', null, 'Compared with'),
      versusAssumed(body),
      comparison(body, catalogue.assumptions, 'calc'),
    );
    details.replaceChildren(
      h('h2', null, 'Footprint by stage'),
      breakdown(body, 'calc'),
      h('details', null, h('summary', null, 'Assumptions'), h('ul', null, ...body.assumptions.map((/** @type {string} */ text) => h('li', null, text)))),
    );
    result.dataset['total'] = kgNumber(body.totalKgCO2e);
    metrics.renders += 1;
    if (metrics.firstRenderMs === null) metrics.firstRenderMs = performance.now();
  }

  return () => {
    controller.abort();
    clearTimeout(debounce);
  };
}

/**
 * The one comparison the calculator is for, in words: this configuration against the same device at the seed's
 * assumed power (the bars below share a scale with a 349 kg laptop, where 2.96 kg and 2.66 kg look alike).
 * @param {any} body a FootprintResult
 */
function versusAssumed(body) {
  const assumed = body.comparison.assumed;
  const delta = body.totalKgCO2e - assumed.totalKgCO2e;
  const share = assumed.totalKgCO2e === 0 ? '' : ` (${delta >= 0 ? '+' : '−'}${percent(Math.abs(delta) / assumed.totalKgCO2e)})`;
  const sign = delta >= 0 ? '+' : '−';
  return h(
    'p',
    { class: 'calc-vs-assumed', id: 'calc-vs-assumed' },
    h('strong', null, `${sign}${kg(Math.abs(delta))}`),
    `${share} against the same device at ${powerLabel(assumed.powerW)} (the seed's assumption, ${kg(assumed.totalKgCO2e)})`,
  );
}

/**
 * @param {string} id @param {string[][]} options [value, label] pairs @param {string} value
 * @param {(value: string) => void} onChange
 */
function select(id, options, value, onChange) {
  const el = /** @type {HTMLSelectElement} */ (h('select', { id }, ...options.map(([v, label]) => h('option', { value: v, selected: v === value }, label))));
  el.addEventListener('change', () => onChange(el.value));
  return el;
}

/** The element-id part of a query field (calc-power, calc-years, calc-training-devices, …). @param {import('./field-errors.js').CalcField} field */
function fieldId(field) {
  return field === 'trainingDevices' ? 'training-devices' : field;
}

/**
 * A labelled control with room for its error (`<id>-error`, shown by showFieldErrors) and extra controls above it
 * (the grid's search box).
 * @param {string} label @param {HTMLElement} control @param {...HTMLElement} extra
 */
function field(label, control, ...extra) {
  const error = h('p', { class: 'field-error', id: `${control.id}-error`, role: 'alert', hidden: true });
  control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), error.id].filter(Boolean).join(' '));
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), h('div', { class: 'field-control' }, ...extra, control, error));
}

/** Characters of a level's description shown in its option (the full text is in the title). */
const LEVEL_TEXT_CHARS = 38;
/** @param {string} text */
function shorten(text) {
  return text.length > LEVEL_TEXT_CHARS ? `${text.slice(0, LEVEL_TEXT_CHARS - 1)}…` : text;
}
