/** Unit conversions. Names carry units; nothing here reads a clock or the environment. */

export const JOULES_PER_WH = 3600;
export const WH_PER_KWH = 1000;
export const SECONDS_PER_HOUR = 3600;

export function joulesToWh(energyJ: number): number {
  return energyJ / JOULES_PER_WH;
}

export function whToKWh(energyWh: number): number {
  return energyWh / WH_PER_KWH;
}

export function yearsToSeconds(years: number, secondsPerYear: number): number {
  return years * secondsPerYear;
}
