/** Number formatting with units, and provenance titles (dataset + citation) for hover. */

/**
 * @typedef {{ dataset: string, kind: string, citation: string, note?: string }} Provenance
 * @typedef {{ min: number, typical: number, max: number }} Range
 */

/** kg CO2e with 2 decimals, as the seed table. @param {number} kg */
export function kg(kg) {
  if (!Number.isFinite(kg)) return '–';
  return Math.abs(kg) >= 1000 ? `${(kg / 1000).toFixed(2)} t` : `${kg.toFixed(2)} kg`;
}

/** @param {number} kg */
export function kgNumber(kg) {
  return Number.isFinite(kg) ? kg.toFixed(2) : '–';
}

/** @param {Range} range */
export function kgRange(range) {
  return `${kgNumber(range.min)}–${kgNumber(range.max)} kg`;
}

/** Power in the most readable unit. @param {number | null | undefined} watts */
export function power(watts) {
  if (watts === null || watts === undefined || !Number.isFinite(watts)) return '–';
  const abs = Math.abs(watts);
  if (abs >= 1) return `${watts.toFixed(2)} W`;
  if (abs >= 1e-3) return `${(watts * 1e3).toFixed(abs >= 0.1 ? 0 : abs >= 0.01 ? 1 : 2)} mW`;
  if (abs === 0) return '0 mW';
  return `${(watts * 1e6).toFixed(0)} µW`;
}

/**
 * Power as a short label without trailing zeros (3 significant figures), for a configured value such as the
 * catalogue's assumed power: 0.001 → "1 mW", 0.0275 → "27.5 mW".
 * @param {number | null | undefined} watts
 */
export function powerLabel(watts) {
  if (watts === null || watts === undefined || !Number.isFinite(watts)) return '–';
  const abs = Math.abs(watts);
  const [value, unit] = abs >= 1 ? [watts, 'W'] : abs >= 1e-3 || abs === 0 ? [watts * 1e3, 'mW'] : [watts * 1e6, 'µW'];
  return `${Number(value.toPrecision(3))} ${unit}`;
}

/** Energy in J, or Wh above 3.6 kJ. @param {number} joules */
export function energy(joules) {
  if (!Number.isFinite(joules)) return '–';
  if (joules >= 3600) return `${(joules / 3600).toFixed(2)} Wh`;
  return `${joules.toFixed(joules >= 100 ? 0 : 2)} J`;
}

/** @param {number | null | undefined} fraction */
export function percent(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(fraction >= 0.1 ? 0 : 1)} %`;
}

/** Seconds as a short duration. @param {number} seconds */
export function duration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds < 63_072_000) return `${(seconds / 86_400).toFixed(0)} d`;
  return `${(seconds / 31_536_000).toFixed(1)} y`;
}

/** "12 s ago" from epoch ms. @param {number | null} ms @param {number} nowMs */
export function ago(ms, nowMs) {
  if (ms === null) return 'never';
  return `${duration(Math.max(0, (nowMs - ms) / 1000))} ago`;
}

/** @param {number} ratio */
export function times(ratio) {
  if (!Number.isFinite(ratio)) return '–';
  return ratio >= 10 ? `×${ratio.toFixed(0)}` : `×${ratio.toFixed(2)}`;
}

/** A hover title from a provenance record. @param {Provenance | undefined | null} p @param {string} [prefix] */
export function source(p, prefix) {
  if (!p) return prefix ?? '';
  const lines = [prefix, `${p.dataset} (${p.kind}): ${p.citation}`, p.note].filter(Boolean);
  return lines.join('\n');
}

/** Energy of one inference: µJ or mJ (MLPerf Tiny reports µJ/inference). @param {number} joules */
export function microjoules(joules) {
  if (!Number.isFinite(joules)) return '–';
  return joules >= 1e-3 ? `${(joules * 1e3).toPrecision(4)} mJ` : `${(joules * 1e6).toPrecision(4)} µJ`;
}

/** Carbon of one inference in µg or ng CO2e. @param {number} kgCO2e */
export function microgram(kgCO2e) {
  if (!Number.isFinite(kgCO2e)) return '–';
  const ug = kgCO2e * 1e9;
  return ug >= 1 ? `${ug.toPrecision(3)} µg` : `${(ug * 1e3).toPrecision(3)} ng`;
}
