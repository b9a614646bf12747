/**
 * The lines every command prints about per-inference figures and the confidence of a measured average (import,
 * calc --inferences-per-s, measure's closing table). One wording, so the basis and the SCI terms read the same.
 */
import type { PerInferenceFootprint } from '../model/per-inference.js';
import type { PowerUncertainty } from '../model/power-confidence.js';
import { powerText } from './format-footprint.js';

export function energyText(energyJ: number): string {
  if (energyJ >= 1) return `${energyJ.toPrecision(4)} J`;
  if (energyJ >= 1e-3) return `${(energyJ * 1e3).toPrecision(4)} mJ`;
  if (energyJ >= 1e-6) return `${(energyJ * 1e6).toPrecision(4)} µJ`;
  return `${(energyJ * 1e9).toPrecision(4)} nJ`;
}

/** kg CO2e per inference in g or mg or µg, whichever reads best. */
export function carbonText(kgCO2e: number): string {
  const g = kgCO2e * 1e3;
  if (g >= 1) return `${g.toPrecision(3)} g`;
  if (g >= 1e-3) return `${(g * 1e3).toPrecision(3)} mg`;
  if (g >= 1e-6) return `${(g * 1e6).toPrecision(3)} µg`;
  return `${(g * 1e9).toPrecision(3)} ng`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 2 : 1)} %`;
}

export function formatPowerUncertainty(u: PowerUncertainty): string[] {
  const lines: string[] = [];
  if (u.halfWidthW === null || u.relativeHalfWidth === null) {
    lines.push(`Confidence ${u.windows} window: no window-to-window interval yet (needs 2)`);
  } else {
    lines.push(
      `Confidence ${powerText(u.powerW)} ± ${powerText(u.halfWidthW)} (± ${percent(u.relativeHalfWidth)}, ${Math.round(u.confidenceLevel * 100)} % interval over ${u.windows} windows, ratio estimator)`,
    );
  }
  const ids = u.instrument.ids.join(', ');
  if (u.instrument.ids.length === 0) lines.push('Instrument not named: its accuracy is not included');
  else if (u.instrument.relativeAccuracy === null) lines.push(`Instrument ${ids}: no stated accuracy known, not included`);
  else
    lines.push(
      `Instrument ${ids}: ± ${percent(u.instrument.relativeAccuracy)} stated${u.combinedRelative === null ? '' : `; combined ± ${percent(u.combinedRelative)}`}`,
    );
  return lines;
}

export function formatPerInference(p: PerInferenceFootprint): string[] {
  const e = p.energy;
  const basis =
    e.basis === 'per-window-median'
      ? `median of ${e.windows} marker-bounded windows (MLPerf Tiny)`
      : e.windows === 0
        ? 'aggregate: average power / inference rate, idle included'
        : `aggregate: all energy over ${e.inferences} inferences counted, idle included`;
  const lines = [`Per inf.   ${energyText(e.energyPerInferenceJ)} per inference, ${basis}`];
  if (e.basis === 'per-window-median' && e.perWindowJ.length <= 10) lines.push(`           windows: ${e.perWindowJ.map((j) => energyText(j)).join(', ')}`);
  const sci = p.sci;
  if (sci === null) {
    lines.push('SCI        needs an inference rate');
    return lines;
  }
  lines.push(`SCI        ${carbonText(sci.kgCO2ePerInference)} CO2e per inference = (E·I + M) per R`);
  lines.push(
    `  E        ${energyText(sci.E.energyPerInferenceJ)} + ${energyText(sci.E.selfDischargeJPerInference)} self-discharge, / ${sci.E.chargerEfficiency} charger`,
  );
  lines.push(`  I        ${sci.I.kgCO2ePerKWh.toFixed(4)} kg CO2e/kWh (${sci.I.gridId})  → E·I ${carbonText(sci.operationalKgCO2ePerInference)}`);
  lines.push(
    `  M        ${sci.M.hardwareKgCO2e.toFixed(3)} kg hardware × TiR ${sci.M.timeReservedS.toPrecision(3)} s / EL ${(sci.M.expectedLifespanS / 31_536_000).toPrecision(3)} y → ${carbonText(sci.M.kgCO2ePerInference)}`,
  );
  lines.push(
    `  R        1 inference; ${sci.R.inferencesPerS.toPrecision(4)} inferences/s (${sci.R.basis}), ${sci.R.lifetimeInferences.toPrecision(3)} over the lifetime`,
  );
  lines.push(`  training ${carbonText(sci.trainingKgCO2ePerInference)} per inference, not part of SCI`);
  return lines;
}
