import { h } from './dom.js';
import { kg, kgNumber, kgRange, percent, powerLabel, source, times } from './format.js';

/** Colour per stage group (CSS custom properties in app.css); embodied blocks get shades by position. */
const GROUP_CLASS = { training: 'g-training', embodied: 'g-embodied', transport: 'g-transport', use: 'g-use', 'end-of-life': 'g-eol' };
/** Embodied shades cycle through this many CSS classes (e1…e6). */
const EMBODIED_SHADES = 6;

/**
 * @typedef {{ id: string, label: string, group: keyof typeof GROUP_CLASS, kgCO2e: number,
 *   range: import('./format.js').Range, share: number, level: number | null, provenance: import('./format.js').Provenance }} Stage
 */

/** @param {Stage[]} stages */
function stageClasses(stages) {
  /** @type {Map<string, string>} */
  const classes = new Map();
  let shade = 0;
  for (const stage of stages) {
    const extra = stage.group === 'embodied' ? ` e${(shade++ % EMBODIED_SHADES) + 1}` : '';
    classes.set(stage.id, `${GROUP_CLASS[stage.group]}${extra}`);
  }
  return classes;
}

/** @param {Stage} stage */
function stageTitle(stage) {
  const level = stage.level === null ? '' : ` (level ${stage.level})`;
  return source(
    stage.provenance,
    `${stage.label}${level}: ${kgNumber(stage.kgCO2e)} kg CO2e, ${percent(stage.share)} of the total; range ${kgRange(stage.range)}`,
  );
}

/**
 * Footprint by stage: one stacked bar (every non-zero stage, width = its share) and a table with each stage's value,
 * range and source.
 * @param {any} result a FootprintResult from the API
 * @param {string} idPrefix element-id prefix (device / calc)
 */
export function breakdown(result, idPrefix) {
  /** @type {Stage[]} */
  const stages = result.stages;
  const classes = stageClasses(stages);
  const bar = h(
    'div',
    { class: 'stack', role: 'img', 'aria-label': `Footprint by stage, total ${kg(result.totalKgCO2e)} CO2e` },
    ...stages
      .filter((stage) => stage.kgCO2e > 0)
      .map((stage) =>
        h(
          'span',
          { class: `seg ${classes.get(stage.id)}`, style: { flexGrow: String(stage.kgCO2e) }, title: stageTitle(stage) },
          stage.share >= 0.08 ? stage.label.split(' ')[0] : '',
        ),
      ),
  );
  const table = h(
    'table',
    { class: 'stages', id: `${idPrefix}-stages` },
    h('caption', { class: 'sr-only' }, 'Footprint by stage, kg CO2e'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Stage'),
        h('th', { scope: 'col', class: 'num' }, 'kg CO₂e'),
        h('th', { scope: 'col', class: 'num hide-narrow' }, 'range'),
        h('th', { scope: 'col', class: 'num' }, 'share'),
      ),
    ),
    h(
      'tbody',
      null,
      ...stages.map((stage) =>
        h(
          'tr',
          { 'data-stage': stage.id, title: stageTitle(stage) },
          h(
            'th',
            { scope: 'row' },
            h('span', { class: `swatch ${classes.get(stage.id)}`, 'aria-hidden': 'true' }),
            stage.label,
            stage.level === null ? null : h('span', { class: 'sub' }, ` L${stage.level}`),
          ),
          h('td', { class: 'num' }, kgNumber(stage.kgCO2e)),
          h('td', { class: 'num hide-narrow' }, kgRange(stage.range)),
          h('td', { class: 'num' }, percent(stage.share)),
        ),
      ),
    ),
    h(
      'tfoot',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'row' }, 'Total'),
        h('td', { class: 'num', id: `${idPrefix}-stages-total`, title: 'sum of the stages, kg CO2e' }, kgNumber(result.totalKgCO2e)),
        h('td', { class: 'num hide-narrow' }, kgRange(result.totalRange)),
        h('td', { class: 'num' }, '100 %'),
      ),
    ),
  );
  return h('div', { class: 'breakdown' }, bar, table);
}

/**
 * This footprint against the seed's table value at the assumed power and the reference devices (Apple Watch, MacBook Pro).
 * @param {any} result a FootprintResult
 * @param {{ assumedPowerW: number, assumedPowerProvenance: any }} assumptions the catalogue's assumptions
 * @param {string} idPrefix
 */
export function comparison(result, assumptions, idPrefix) {
  const assumed = result.comparison.assumed;
  const assumedLabel = powerLabel(assumptions.assumedPowerW);
  const maxKg = Math.max(result.totalKgCO2e, ...result.comparison.referenceDevices.map((/** @type {any} */ device) => device.kgCO2e));
  /** @param {string} label @param {number} value @param {string} title @param {string} cls @param {string} id */
  const line = (label, value, title, cls, id) =>
    h(
      'li',
      { title },
      h('span', { class: 'cmp-label' }, label),
      h(
        'span',
        { class: 'cmp-track', 'aria-hidden': 'true' },
        h('span', { class: `cmp-bar ${cls}`, style: { width: `${Math.max(0.5, (value / maxKg) * 100)}%` } }),
      ),
      h('span', { class: 'cmp-value num', id }, kg(value)),
    );
  return h(
    'ul',
    { class: 'comparison', id: `${idPrefix}-comparison` },
    line(
      result.power.kind === 'measured' ? 'This device (measured)' : 'This configuration',
      result.totalKgCO2e,
      source(result.power.provenance, `lifetime total at ${(result.power.powerW * 1000).toPrecision(3)} mW`),
      'this',
      `${idPrefix}-cmp-this`,
    ),
    line(
      `Same, at ${assumedLabel} (seed assumption)`,
      assumed.totalKgCO2e,
      source(
        assumptions.assumedPowerProvenance,
        `same device at the ${assumedLabel} assumption: use stage ${kgNumber(assumed.useKgCO2e)} kg, ${assumed.batteryReplacements} battery replacement(s)`,
      ),
      'assumed',
      `${idPrefix}-cmp-assumed`,
    ),
    ...result.comparison.referenceDevices.map((/** @type {any} */ device) =>
      line(
        device.label,
        device.kgCO2e,
        source(
          device.provenance,
          `this footprint is ${times(device.kgCO2e === 0 ? NaN : result.totalKgCO2e / device.kgCO2e)} ${device.label} (${percent(device.kgCO2e === 0 ? NaN : result.totalKgCO2e / device.kgCO2e)})`,
        ),
        'ref',
        `${idPrefix}-cmp-${device.id}`,
      ),
    ),
  );
}
