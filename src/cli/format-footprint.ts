import type { FootprintResult } from '../model/footprint.js';

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
  lines.push(`Grid       ${result.grid.label}: ${result.grid.kgCO2ePerKWh.toFixed(4)} kg ${result.grid.gas}/kWh, ${result.grid.scope} [${result.grid.provenance.dataset}]`);
  lines.push(`Lifetime   ${result.lifetimeYears} years, ${result.use.deviceEnergyWh.toFixed(2)} Wh drawn, ${result.use.gridEnergyWh.toFixed(2)} Wh from the grid`);
  lines.push('');
  const labelWidth = Math.max(...result.stages.map((stage) => stage.label.length), 'Total'.length);
  lines.push(`${'Stage'.padEnd(labelWidth)}  ${'kg CO2e'.padStart(8)}  ${'share'.padStart(8)}  ${'range (min–max)'.padEnd(15)}  source`);
  for (const stage of result.stages) {
    lines.push(
      `${stage.label.padEnd(labelWidth)}  ${kg(stage.kgCO2e).padStart(8)}  ${percent(stage.share).padStart(8)}  ${`${kg(stage.range.min)}–${kg(stage.range.max)}`.padEnd(15)}  ${stage.provenance.dataset} (${stage.provenance.kind})`,
    );
  }
  lines.push(`${'Total'.padEnd(labelWidth)}  ${kg(result.totalKgCO2e).padStart(8)}  ${'100.0 %'.padStart(8)}  ${`${kg(result.totalRange.min)}–${kg(result.totalRange.max)}`.padEnd(15)}`);
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
      lines.push(`           self-discharge ${(battery.selfDischargePerMonth * 100).toPrecision(3)} %/month: ${battery.selfDischargeWh.toFixed(2)} Wh recharged from the grid`);
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
