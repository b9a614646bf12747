/** Small SVG charts of the fleet view (no library: a histogram of bars and one line over time). Built with DOM calls, never markup strings. */

const SVG = 'http://www.w3.org/2000/svg';

/** @param {string} tag @param {Record<string, string | number>} attrs @param {...(Node | string)} children */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

/**
 * Vertical bars with a label under each and an optional marker line between two bars.
 * @param {{ bars: { label: string, count: number, title: string, highlight?: boolean }[], marker?: { atIndex: number, label: string } | null,
 *   width?: number, height?: number, ariaLabel: string }} options `marker.atIndex` may be fractional (2.5: between bars 2 and 3)
 */
export function barChart(options) {
  const width = options.width ?? 560;
  const height = options.height ?? 150;
  const pad = { top: 16, bottom: 34, left: 8, right: 8 };
  const n = Math.max(1, options.bars.length);
  const slot = (width - pad.left - pad.right) / n;
  const max = Math.max(1, ...options.bars.map((bar) => bar.count));
  const plotH = height - pad.top - pad.bottom;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': options.ariaLabel });
  options.bars.forEach((bar, i) => {
    const h = (bar.count / max) * plotH;
    const x = pad.left + i * slot;
    const group = s('g', { class: `bar${bar.highlight ? ' hl' : ''}` }, s('title', {}, bar.title));
    group.append(s('rect', { x: x + 2, y: pad.top + plotH - h, width: Math.max(1, slot - 4), height: Math.max(bar.count > 0 ? 1 : 0, h) }));
    if (bar.count > 0) group.append(s('text', { x: x + slot / 2, y: pad.top + plotH - h - 3, 'text-anchor': 'middle', class: 'bar-count' }, String(bar.count)));
    // labels at the lower edge of each bin; every label when they fit, else every other one
    if (n <= 12 || i % 2 === 0)
      group.append(s('text', { x, y: height - pad.bottom + 14, 'text-anchor': i === 0 ? 'start' : 'middle', class: 'bar-label' }, bar.label));
    svg.append(group);
  });
  svg.append(s('line', { x1: pad.left, x2: width - pad.right, y1: pad.top + plotH, y2: pad.top + plotH, class: 'axis' }));
  if (options.marker) {
    const x = pad.left + options.marker.atIndex * slot;
    svg.append(
      s('line', { x1: x, x2: x, y1: pad.top - 6, y2: pad.top + plotH + 4, class: 'marker' }),
      s('text', { x, y: height - 4, 'text-anchor': 'middle', class: 'marker-label' }, options.marker.label),
    );
  }
  return svg;
}

/**
 * Online devices (a filled step line) under the registered count (a dashed step line) over time: each sample holds until the next.
 * @param {{ samples: { atMs: number, online: number, devices: number }[], width?: number, height?: number, ariaLabel: string,
 *   timeLabel: (ms: number) => string }} options
 */
export function onlineChart(options) {
  const width = options.width ?? 560;
  const height = options.height ?? 150;
  const pad = { top: 14, bottom: 22, left: 36, right: 8 };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': options.ariaLabel });
  const samples = options.samples;
  if (samples.length === 0) return svg;
  const t0 = samples[0].atMs;
  const t1 = Math.max(t0 + 1, samples[samples.length - 1].atMs);
  const max = Math.max(1, ...samples.map((sample) => sample.devices));
  const x = (/** @type {number} */ t) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (/** @type {number} */ v) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  let online = `M${x(t0)},${y(0)}`;
  let devices = '';
  samples.forEach((sample, i) => {
    const next = samples[i + 1]?.atMs ?? sample.atMs;
    online += ` L${x(sample.atMs)},${y(sample.online)} L${x(next)},${y(sample.online)}`;
    devices += `${i === 0 ? 'M' : ' L'}${x(sample.atMs)},${y(sample.devices)} L${x(next)},${y(sample.devices)}`;
  });
  online += ` L${x(t1)},${y(0)} Z`;
  svg.append(
    s('path', { d: online, class: 'area-online' }),
    s('path', { d: devices, class: 'line-devices' }),
    s('line', { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), class: 'axis' }),
    s('text', { x: pad.left - 4, y: y(max) + 4, 'text-anchor': 'end', class: 'bar-label' }, String(max)),
    s('text', { x: pad.left - 4, y: y(0), 'text-anchor': 'end', class: 'bar-label' }, '0'),
    s('text', { x: pad.left, y: height - 4, class: 'bar-label' }, options.timeLabel(t0)),
    s('text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end', class: 'bar-label' }, options.timeLabel(t1)),
  );
  return svg;
}
