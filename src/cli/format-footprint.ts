import type { FootprintResult } from '../model/footprint.js';
import { TERMINAL_COLUMNS, wrapLine, wrapText } from './wrap.js';

/** Where the text of a labelled line (`Grid       …`) starts: its continuation lines start there too. */
const LABEL_COLUMN = 11;

const KG_DECIMALS = 2;

function kg(value: number): string {
  return value.toFixed(KG_DECIMALS);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

export function powerText(powerW: number): string {
  if (powerW >= 1) return `${powerW.toPrecision(4)} W`;
  if (powerW >= 1e-3) return `${(powerW * 1e3).toPrecision(4)} mW`;
  return `${(powerW * 1e6).toPrecision(4)} µW`;
}

/** A readable breakdown table: one row per stage, value at the system's scenario with its min–max range. */
export function formatFootprint(result: FootprintResult): string {
  const lines: string[] = [];
  const powerLabel = result.power.kind === 'assumed' ? 'ASSUMED (not measured)' : result.power.kind === 'given' ? 'given by you' : 'measured';
  lines.push(`System     ${result.system.label} (${result.system.id}, ${result.system.scenario} case)`);
  lines.push(`Power      ${powerText(result.power.powerW)} average, ${powerLabel}`);
  lines.push(
    `Grid       ${result.grid.label}: ${result.grid.kgCO2ePerKWh.toFixed(4)} kg ${result.grid.gas}/kWh, ${result.grid.scope} [${result.grid.provenance.dataset}]`,
  );
  lines.push(
    `Lifetime   ${result.lifetimeYears} years, ${result.use.deviceEnergyWh.toFixed(2)} Wh drawn, ${result.use.gridEnergyWh.toFixed(2)} Wh from the grid`,
  );
  lines.push('');
  // Columns as narrow as their contents, so a row fits TERMINAL_COLUMNS; a source that does not wraps in its column.
  const labelWidth = Math.max(...result.stages.map((stage) => stage.label.length), 'Total'.length);
  const rangeText = (range: { min: number; max: number }): string => `${kg(range.min)}–${kg(range.max)}`;
  const rangeWidth = Math.max(...result.stages.map((stage) => rangeText(stage.range).length), rangeText(result.totalRange).length, 'min–max'.length);
  const row = (label: string, kgText: string, share: string, range: string, source: string): string[] => {
    const cells = `${label.padEnd(labelWidth)}  ${kgText.padStart(7)}  ${share.padStart(7)}  ${range.padEnd(rangeWidth)}`;
    return source === '' ? [cells.trimEnd()] : wrapLine(`${cells}  ${source}`, TERMINAL_COLUMNS, cells.length + 2);
  };
  lines.push(...row('Stage', 'kg CO2e', 'share', 'min–max', 'source'));
  for (const stage of result.stages) {
    lines.push(...row(stage.label, kg(stage.kgCO2e), percent(stage.share), rangeText(stage.range), `${stage.provenance.dataset} (${stage.provenance.kind})`));
  }
  lines.push(...row('Total', kg(result.totalKgCO2e), '100.0 %', rangeText(result.totalRange), ''));
  lines.push('');
  if (result.battery !== null) {
    const interval = result.battery.rechargeIntervalH === null ? 'never' : `every ${(result.battery.rechargeIntervalH / 24).toFixed(1)} days`;
    const battery = result.battery;
    lines.push(
      `Battery    ${battery.capacityWh} Wh: ${battery.recharges.toFixed(1)} recharges (${interval}), ` +
        `${battery.replacements} replacement(s); a pack lasts ${battery.packLifeYears.toFixed(1)} years ` +
        `(${battery.limitedBy === 'calendar' ? `calendar life ${battery.calendarLifeYears} years` : `${battery.cycleLife} cycles`})`,
    );
    if (battery.selfDischargeWh > 0) {
      lines.push(
        `           self-discharge ${(battery.selfDischargePerMonth * 100).toPrecision(3)} %/month: ${battery.selfDischargeWh.toFixed(2)} Wh recharged from the grid`,
      );
    }
  }
  const assumed = result.comparison.assumed;
  if (result.power.kind !== 'assumed') {
    lines.push(
      `vs 1 mW   the seed's assumption gives ${kg(assumed.totalKgCO2e)} kg (use ${kg(assumed.useKgCO2e)} kg, ${assumed.batteryReplacements} replacement(s)); ` +
        `this is ${(result.totalKgCO2e / assumed.totalKgCO2e).toFixed(2)}×`,
    );
  }
  for (const device of result.comparison.referenceDevices) {
    lines.push(`vs ${device.label}: ${device.kgCO2e} kg (this device is ${percent(device.ratio)} of it)`);
  }
  lines.push('');
  lines.push('Assumptions:');
  for (const assumption of result.assumptions) lines.push(`  - ${assumption}`);
  return lines.join('\n');
}

/** `formatFootprint` in TERMINAL_COLUMNS: labelled lines continue under their text (column 11), list items under theirs. */
export function formatFootprintFitted(result: FootprintResult): string {
  return wrapText(formatFootprint(result), (line) => (line.startsWith('  - ') ? 4 : LABEL_COLUMN));
}
