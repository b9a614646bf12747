import { h } from '../dom.js';
import { duration, microgram, microjoules, source } from '../format.js';

/**
 * Per inference, with SCI's terms in view (ISO/IEC 21031:2024, SCI = (E·I + M) per R), not only in a tooltip:
 * a touch screen has no hover.
 * @param {any} perInference the footprint's `perInference`, or null without inference counts
 */
export function sciPanel(perInference) {
  if (!perInference) {
    return h(
      'p',
      { class: 'muted', id: 'device-sci' },
      'No inferences counted yet: energy and SCI per inference need windows with inferenceCount (or an imported EnergyRunner session).',
    );
  }
  const { energy, sci } = perInference;
  const basis =
    energy.basis === 'per-window-median'
      ? `median over ${energy.windows} marker-bounded windows (MLPerf Tiny)`
      : `all energy over all ${energy.inferences} inferences counted, idle included`;
  /** @param {string} term @param {string} value @param {string} what @param {string} id */
  const row = (term, value, what, id) =>
    h('tr', null, h('th', { scope: 'row' }, term), h('td', { class: 'num', id }, value), h('td', { class: 'muted' }, what));
  return h(
    'div',
    { id: 'device-sci' },
    h('p', null, h('strong', { id: 'device-sci-energy' }, microjoules(energy.energyPerInferenceJ)), ' per inference: ', basis, '.'),
    sci === null
      ? null
      : h(
          'table',
          { class: 'sci-terms' },
          h('caption', { class: 'sr-only' }, 'SCI terms per inference'),
          h(
            'tbody',
            null,
            row(
              'E',
              microjoules(sci.E.energyPerInferenceJ + sci.E.selfDischargeJPerInference),
              `device energy + battery self-discharge, ÷ charger efficiency ${sci.E.chargerEfficiency}`,
              'sci-e',
            ),
            h(
              'tr',
              { title: source(sci.I.provenance) },
              h('th', { scope: 'row' }, 'I'),
              h('td', { class: 'num', id: 'sci-i' }, `${sci.I.kgCO2ePerKWh.toFixed(3)} kg/kWh`),
              h('td', { class: 'muted' }, `grid ${sci.I.gridId}`),
            ),
            row('E·I', microgram(sci.operationalKgCO2ePerInference), 'operational CO2e', 'sci-ei'),
            row(
              'M',
              microgram(sci.M.kgCO2ePerInference),
              `hardware ${sci.M.hardwareKgCO2e.toFixed(2)} kg × ${duration(sci.M.timeReservedS)} reserved ÷ ${duration(sci.M.expectedLifespanS)} lifespan`,
              'sci-m',
            ),
            row(
              'R',
              `${sci.R.inferencesPerS.toPrecision(3)} /s`,
              `${sci.R.basis} rate; ${sci.R.lifetimeInferences.toPrecision(3)} inferences over the lifetime`,
              'sci-r',
            ),
            h(
              'tr',
              { class: 'sci-total' },
              h('th', { scope: 'row' }, 'SCI'),
              h('td', { class: 'num', id: 'sci-total' }, `${microgram(sci.kgCO2ePerInference)} CO2e`),
              h('td', { class: 'muted' }, `per inference; training (${microgram(sci.trainingKgCO2ePerInference)}) is shown beside SCI, not in it`),
            ),
          ),
        ),
  );
}
