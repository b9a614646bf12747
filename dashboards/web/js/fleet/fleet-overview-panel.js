import { h } from '../dom.js';
import { kgNumber, power, powerLabel } from '../format.js';
import { barChart, onlineChart } from './fleet-charts.js';

/** Devices in the "top by power" list: enough to name the offenders, short enough to read at a glance. */
export const TOP_N = 5;

/**
 * @typedef {import('../fleet-status.js').Overview} Overview
 * @typedef {import('./fleet-model.js').FleetRow} FleetRow
 */

/**
 * The histogram's bars: the bins from the first to the last non-empty one (with the assumed power's bin inside the
 * range), plus "below" and "above" bars when devices fall outside the edges.
 * @param {Overview['power']} p @param {number} assumedPowerW
 */
export function histogramBars(p, assumedPowerW) {
  const nonEmpty = p.counts.flatMap((count, i) => (count > 0 ? [i] : []));
  const assumedBin = p.edgesW.findLastIndex((edge) => edge <= assumedPowerW);
  const first = Math.max(0, Math.min(nonEmpty[0] ?? assumedBin, assumedBin) - 1);
  const last = Math.min(p.counts.length - 1, Math.max(nonEmpty[nonEmpty.length - 1] ?? assumedBin, assumedBin) + 1);
  /** @type {{ label: string, count: number, title: string, highlight?: boolean }[]} */
  const bars = [];
  if (p.below > 0) bars.push({ label: `<${powerLabel(p.edgesW[0])}`, count: p.below, title: `${p.below} devices below ${powerLabel(p.edgesW[0])}` });
  for (let i = first; i <= last; i += 1) {
    const lo = p.edgesW[i];
    const hi = p.edgesW[i + 1];
    bars.push({
      label: powerLabel(lo),
      count: p.counts[i],
      title: `${p.counts[i]} devices measured at ${powerLabel(lo)} to ${powerLabel(hi)}`,
    });
  }
  const lastEdge = p.edgesW[p.edgesW.length - 1];
  if (p.above > 0) bars.push({ label: `≥${powerLabel(lastEdge)}`, count: p.above, title: `${p.above} devices at ${powerLabel(lastEdge)} or more` });
  // The marker sits at the assumed power, on the log scale within its bin.
  let markerAt = null;
  if (assumedBin >= first && assumedBin <= last) {
    const lo = p.edgesW[assumedBin];
    const hi = p.edgesW[assumedBin + 1];
    markerAt = (p.below > 0 ? 1 : 0) + (assumedBin - first) + Math.log(assumedPowerW / lo) / Math.log(hi / lo);
  }
  return { bars, markerAt };
}

/**
 * The fleet at a glance, above the table: power distribution, online over time, top by power, groups by fleet.
 * @param {{ assumedPowerW: number, assumedLabel: string, onFleet: (fleet: string | null) => void }} options
 */
export function createOverviewPanel(options) {
  const histogram = h('div', { class: 'ov-chart', id: 'fleet-histogram' });
  const histogramNote = h('p', { class: 'muted ov-note' });
  const history = h('div', { class: 'ov-chart', id: 'fleet-online-history' });
  const historyNote = h('p', { class: 'muted ov-note' });
  const top = h('ol', { class: 'top-list', id: 'fleet-top' });
  const groups = h('tbody', { id: 'fleet-groups' });
  const element = h(
    'div',
    { class: 'fleet-overview' },
    h('section', { class: 'panel' }, h('h2', null, 'Measured power'), histogram, histogramNote),
    h('section', { class: 'panel' }, h('h2', null, 'Online over time'), history, historyNote),
    h('section', { class: 'panel' }, h('h2', null, `Top ${TOP_N} by power`), top),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, 'By fleet'),
      h(
        'table',
        { class: 'groups' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, 'Fleet'),
            h('th', { class: 'num' }, 'Devices'),
            h('th', { class: 'num', title: 'online · stale · offline' }, 'On · stale · off'),
            h('th', { class: 'num' }, 'Avg power'),
            h('th', { class: 'num', title: `lifetime kg CO2e, and the change from the ${options.assumedLabel} assumption` }, 'Lifetime'),
          ),
        ),
        groups,
      ),
    ),
  );

  return {
    element,
    /** @param {Overview} overview @param {FleetRow[] | null} topRows @param {string | null} selectedFleet */
    render(overview, topRows, selectedFleet) {
      const { bars, markerAt } = histogramBars(overview.power, options.assumedPowerW);
      histogram.replaceChildren(
        overview.power.measured === 0
          ? h('p', { class: 'muted' }, 'No device has reported power yet.')
          : barChart({
              bars,
              marker: markerAt === null ? null : { atIndex: markerAt, label: `${options.assumedLabel} assumed` },
              ariaLabel: `Histogram of measured average power over ${overview.power.measured} devices`,
            }),
      );
      histogramNote.textContent = `${overview.power.measured} devices measured (average power over their windows, bins of a 1-2-5 series)${overview.power.assumed > 0 ? `; ${overview.power.assumed} not reporting yet, at the ${options.assumedLabel} assumption, not drawn` : ''}.`;

      const samples = overview.onlineHistory.samples;
      history.replaceChildren(
        samples.length < 2
          ? h('p', { class: 'muted' }, 'Collecting: one sample every ' + overview.onlineHistory.stepMs / 1000 + ' s since the service started.')
          : onlineChart({
              samples,
              ariaLabel: `Online devices over time, now ${samples[samples.length - 1].online} of ${samples[samples.length - 1].devices}`,
              timeLabel: (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
            }),
      );
      historyNote.textContent =
        selectedFleet === null
          ? `Online devices (filled) of those registered (dashed), every ${overview.onlineHistory.stepMs / 1000} s since the service started, 6 h at most.`
          : 'Kept for the whole fleet only: clear the fleet filter to see it.';

      top.replaceChildren(
        ...(topRows ?? []).map((row) =>
          h(
            'li',
            { 'data-id': row.id },
            h('a', { href: `#/device/${encodeURIComponent(row.id)}` }, row.name),
            h('span', { class: 'num' }, power(row.powerW)),
            h('span', { class: 'sub' }, `${kgNumber(row.totalKgCO2e)} kg lifetime`),
          ),
        ),
      );
      if ((topRows ?? []).length === 0) top.replaceChildren(h('li', { class: 'muted' }, 'No measured device.'));

      groups.replaceChildren(
        ...overview.fleets.map((group) => {
          const delta = group.totalKgCO2e - group.assumedTotalKgCO2e;
          return h(
            'tr',
            { 'data-fleet': group.fleet ?? '', class: group.fleet !== null && group.fleet === selectedFleet ? 'selected' : '' },
            h(
              'td',
              null,
              group.fleet === null
                ? h('span', { class: 'muted' }, 'no fleet')
                : h(
                    'button',
                    {
                      type: 'button',
                      class: 'linkish',
                      title: `show only fleet ${group.fleet}`,
                      onclick: () => options.onFleet(group.fleet === selectedFleet ? null : group.fleet),
                    },
                    group.fleet,
                  ),
            ),
            h('td', { class: 'num' }, String(group.devices)),
            h('td', { class: 'num' }, `${group.online} · ${group.stale} · ${group.offline}`),
            h('td', { class: 'num' }, power(group.averagePowerW)),
            h(
              'td',
              { class: 'num', title: `at ${options.assumedLabel} it would be ${kgNumber(group.assumedTotalKgCO2e)} kg` },
              `${kgNumber(group.totalKgCO2e)} kg`,
              h('span', { class: 'sub' }, `${delta >= 0 ? '+' : '−'}${kgNumber(Math.abs(delta))}`),
            ),
          );
        }),
      );
    },
  };
}
