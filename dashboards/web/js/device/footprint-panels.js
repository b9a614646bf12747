import { h } from '../dom.js';
import { kg, kgNumber, kgRange, percent, power, powerLabel, source } from '../format.js';

/**
 * Display groups of the breakdown, in reading order. Battery replacements are an embodied stage in the model; they
 * are shown apart because they depend on the measured power (recharges), not on the bill of materials.
 */
const GROUPS = /** @type {const} */ ([
  ['training', 'Training', 'g-training'],
  ['hardware', 'Hardware (embodied)', 'e1'],
  ['battery', 'Battery replacements', 'e4'],
  ['transport', 'Transport', 'g-transport'],
  ['use', 'Use (electricity)', 'g-use'],
  ['end-of-life', 'End of life', 'g-eol'],
]);

/** @param {any} stage */
function displayGroup(stage) {
  if (stage.id === 'battery-replacements') return 'battery';
  return stage.group === 'embodied' ? 'hardware' : stage.group;
}

/** What a block's level holds (from the catalogue), for its tooltip. @param {any} catalogue @param {any} stage */
function levelContent(catalogue, stage) {
  if (stage.level === null || stage.level === undefined) return '';
  const block = catalogue.blocks.find((/** @type {any} */ b) => b.id === stage.id);
  const level = block?.levels.find((/** @type {any} */ l) => l.level === stage.level);
  return level ? `L${stage.level}: ${level.content}` : `L${stage.level}`;
}

/**
 * The footprint by stage as a bar chart: groups with their totals, the non-zero stages inside each as bars on one
 * scale (the largest stage), zero stages folded into one line, and the HSL levels explained.
 * @param {any} footprint @param {any} catalogue
 */
export function stageChart(footprint, catalogue) {
  /** @type {any[]} */
  const stages = footprint.stages;
  const largest = Math.max(...stages.map((s) => s.kgCO2e), Number.EPSILON);
  const zero = stages.filter((s) => s.kgCO2e === 0);
  /** @param {any} stage */
  const stageRow = (stage) => {
    const level = levelContent(catalogue, stage);
    return h(
      'li',
      {
        class: 'stage-row',
        'data-stage': stage.id,
        title: source(stage.provenance, `${stage.label}: ${kgNumber(stage.kgCO2e)} kg CO2e, range ${kgRange(stage.range)}${level ? `; ${level}` : ''}`),
      },
      h(
        'span',
        { class: 'stage-label' },
        stage.label,
        stage.level === null || stage.level === undefined ? null : h('span', { class: 'level', title: level }, `L${stage.level}`),
      ),
      h(
        'span',
        { class: 'stage-track', 'aria-hidden': 'true' },
        h('span', { class: 'stage-bar', style: { width: `${Math.max(0.5, (stage.kgCO2e / largest) * 100)}%` } }),
      ),
      h('span', { class: 'num stage-value' }, `${kgNumber(stage.kgCO2e)} kg`),
      h('span', { class: 'num stage-share' }, percent(stage.share)),
    );
  };
  const groups = GROUPS.map(([key, label, cls]) => {
    const members = stages.filter((s) => displayGroup(s) === key && s.kgCO2e > 0);
    if (members.length === 0) return null;
    const total = members.reduce((sum, s) => sum + s.kgCO2e, 0);
    return h(
      'li',
      { class: `stage-group ${cls}-group`, 'data-group': key },
      h(
        'div',
        { class: 'group-head' },
        h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }),
        h('strong', null, label),
        h('span', { class: 'num' }, `${kgNumber(total)} kg · ${percent(total / footprint.totalKgCO2e)}`),
      ),
      members.length === 1 && (members[0].level === null || members[0].level === undefined)
        ? null
        : h('ul', { class: `stage-rows ${cls}-rows` }, ...members.map(stageRow)),
    );
  });
  return h(
    'div',
    { class: 'stage-chart', id: 'device-stages' },
    h(
      'div',
      { class: 'stack', role: 'img', 'aria-label': `Footprint by group, total ${kg(footprint.totalKgCO2e)} CO2e` },
      ...GROUPS.map(([key, label, cls]) => {
        const total = stages.filter((s) => displayGroup(s) === key).reduce((sum, s) => sum + s.kgCO2e, 0);
        return total > 0
          ? h(
              'span',
              { class: `seg ${cls}`, style: { flexGrow: String(total) }, title: `${label}: ${kgNumber(total)} kg` },
              total / footprint.totalKgCO2e >= 0.12 ? label.split(' ')[0] : '',
            )
          : null;
      }),
    ),
    h('ul', { class: 'stage-groups' }, ...groups),
    h(
      'p',
      { class: 'stage-total' },
      h('strong', null, 'Total '),
      h('span', { id: 'device-stages-total', title: 'sum of the stages, kg CO2e' }, kgNumber(footprint.totalKgCO2e)),
      ` kg CO₂e (range ${kgRange(footprint.totalRange)})`,
    ),
    zero.length === 0
      ? null
      : h(
          'details',
          { class: 'zero-stages', id: 'device-zero-stages' },
          h('summary', null, `${zero.length} stages at 0 kg`),
          h('p', { class: 'muted' }, zero.map((s) => `${s.label}${s.level === null || s.level === undefined ? '' : ` (L${s.level})`}`).join(', ')),
        ),
    h(
      'p',
      { class: 'muted levels-help', id: 'device-levels-help' },
      'L0, L1, L2: the variant of each hardware block in Pirson & Bol’s (2021) inventory for IoT devices, as the TinyML-Footprint table uses it: L0 the minimal one (often none at all), L1 a typical one, L2 a larger or high-end one. Hover a block for what its level holds.',
    ),
  );
}

/** kg with 2 decimals, or g (3 significant figures) below 10 g, so a small difference does not read "0.00 kg". @param {number} kgCO2e */
function massText(kgCO2e) {
  return kgCO2e >= 0.01 ? `${kgNumber(kgCO2e)} kg` : `${Number((kgCO2e * 1000).toPrecision(3))} g`;
}

/**
 * Measured against the assumed power on one scale: everything but use and battery replacements is the same in both,
 * so the totals are drawn as that shared part plus the part that differs, and the differing part again on its own scale.
 * @param {any} footprint @param {number} assumedPowerW
 */
export function measuredVsAssumed(footprint, assumedPowerW) {
  const assumed = footprint.comparison.assumed;
  const measuredPart = footprint.byGroup.use + (footprint.battery?.replacementKgCO2e ?? 0);
  const shared = footprint.totalKgCO2e - measuredPart;
  const assumedPart = assumed.totalKgCO2e - shared;
  const scale = Math.max(footprint.totalKgCO2e, assumed.totalKgCO2e, Number.EPSILON);
  const partScale = Math.max(measuredPart, assumedPart, Number.EPSILON);
  const measuredLabel =
    footprint.power.kind === 'measured' ? `measured ${power(footprint.power.powerW)}` : `${footprint.power.kind} ${power(footprint.power.powerW)}`;
  const assumedLabel = `assumed ${powerLabel(assumedPowerW)}`;
  const difference = footprint.totalKgCO2e - assumed.totalKgCO2e;
  /** @param {string} label @param {number} part @param {string} cls @param {string} id */
  const totalRow = (label, part, cls, id) =>
    h(
      'li',
      null,
      h('span', { class: 'cmp-label' }, label),
      h(
        'span',
        { class: 'cmp-track', 'aria-hidden': 'true' },
        h('span', { class: 'cmp-bar shared', style: { width: `${(shared / scale) * 100}%` } }),
        h('span', { class: `cmp-bar ${cls}`, style: { width: `${Math.max(0.3, (part / scale) * 100)}%` } }),
      ),
      h('span', { class: 'cmp-value num', id }, kg(shared + part)),
    );
  /** @param {string} label @param {number} part @param {string} cls @param {string} id */
  const partRow = (label, part, cls, id) =>
    h(
      'li',
      null,
      h('span', { class: 'cmp-label' }, label),
      h(
        'span',
        { class: 'cmp-track', 'aria-hidden': 'true' },
        h('span', { class: `cmp-bar ${cls}`, style: { width: `${Math.max(0.3, (part / partScale) * 100)}%` } }),
      ),
      h('span', { class: 'cmp-value num', id }, `${(part * 1000).toPrecision(3)} g`),
    );
  return h(
    'div',
    { class: 'vs-assumed', id: 'device-vs-assumed' },
    h(
      'p',
      { id: 'device-vs-difference' },
      h('strong', null, `${difference >= 0 ? '+' : '−'}${massText(Math.abs(difference))}`),
      ` (${difference >= 0 ? '+' : '−'}${percent(Math.abs(difference) / assumed.totalKgCO2e)}) over the lifetime at the ${measuredLabel} than at the ${assumedLabel}.`,
    ),
    h('h3', null, 'Lifetime total, one scale from 0'),
    h(
      'ul',
      { class: 'comparison' },
      totalRow(measuredLabel, measuredPart, 'this', 'device-vs-measured'),
      totalRow(assumedLabel, assumedPart, 'assumed', 'device-vs-assumed-total'),
    ),
    h(
      'p',
      { class: 'muted' },
      `Grey: the ${kgNumber(shared)} kg of training, hardware, transport and end of life, the same in both. Colour: use and battery replacements, which follow the power.`,
    ),
    h('h3', null, 'The part that differs, on its own scale'),
    h(
      'ul',
      { class: 'comparison' },
      partRow(measuredLabel, measuredPart, 'this', 'device-vs-measured-part'),
      partRow(assumedLabel, assumedPart, 'assumed', 'device-vs-assumed-part'),
    ),
  );
}
