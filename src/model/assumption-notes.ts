import type { BatteryOutcome } from './battery.js';
import type { Catalogue } from './catalogue-types.js';
import type { FootprintInput } from './footprint-types.js';

/** Display only: 6 significant digits hides binary float noise (27.200000000000003). */
function milliwatts(powerW: number): number {
  return Number((powerW * 1000).toPrecision(6));
}

/** Display only: a fraction as a percent, 3 significant digits. */
function percentText(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} %`;
}

/** What the result assumes, in words, so a reader sees it beside the numbers. */
export function assumptionNotes(catalogue: Catalogue, input: FootprintInput, trainingRunKgCO2e: number, battery: BatteryOutcome | null): string[] {
  const notes: string[] = [];
  if (input.power.kind === 'assumed') {
    notes.push(`power assumed at ${milliwatts(input.power.powerW)} mW continuous (not measured)`);
  } else if (input.power.kind === 'given') {
    notes.push(`power given by the user: ${milliwatts(input.power.powerW)} mW continuous (not measured by this service)`);
  }
  if (input.trainingDevices === 1 && trainingRunKgCO2e > 0) {
    notes.push("the whole training run is charged to this one device (the seed's upper bound)");
  }
  if (battery !== null && input.battery?.cycleLife === undefined) {
    notes.push(`battery cycle life ${battery.cycleLife} cycles (assumed)`);
  }
  if (battery !== null && input.battery?.calendarLifeYears === undefined) {
    notes.push(`battery calendar life ${battery.calendarLifeYears} years (assumed): a pack older than that is replaced however few cycles it ran`);
  }
  if (battery !== null && battery.selfDischargePerMonth > 0) {
    const source = input.battery?.selfDischargePerMonth === undefined ? 'assumed' : 'given by the user';
    notes.push(
      `battery self-discharge ${percentText(battery.selfDischargePerMonth)} a month at a ${percentText(battery.meanStateOfCharge)} mean charge (${source}): ` +
        `${battery.selfDischargeWh.toPrecision(3)} Wh lost in the pack and recharged from the grid; set selfDischargePerMonth 0 for the seed's method`,
    );
  }
  if (input.chargerEfficiency === 1) notes.push('charger efficiency 1 (no charging loss), as the seed');
  if (input.grid.gas === 'CO2') {
    notes.push(`grid factor ${input.grid.id} counts CO2 only, direct emissions at the plant: the use stage leaves out CH4, N2O and upstream emissions`);
  }
  const maxSharePercent = Number((catalogue.assumptions.endOfLifeMaxShare * 100).toPrecision(3));
  notes.push(
    `end of life counted as ${catalogue.assumptions.endOfLifeKgCO2e} kg (negligible, < ${maxSharePercent} %); ` +
      `its range goes up to ${maxSharePercent} % of the other stages' maximum`,
  );
  return notes;
}
