import { ValidationError } from '../domain/errors.js';
import type { BatteryInput } from '../domain/types.js';
import { MAX_CALENDAR_LIFE_YEARS, MAX_SELF_DISCHARGE_PER_MONTH, MIN_CALENDAR_LIFE_YEARS } from './limits.js';

function requireWithin(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(`${name} must be a finite number in [${min}, ${max}], got ${String(value)}`);
  }
}

/** The battery-ageing inputs (calendar life, self-discharge); their limits are in limits.ts with their reasons. */
export function validateBatteryAgeing(battery: BatteryInput | undefined): void {
  if (battery?.calendarLifeYears !== undefined) {
    requireWithin('battery.calendarLifeYears', battery.calendarLifeYears, MIN_CALENDAR_LIFE_YEARS, MAX_CALENDAR_LIFE_YEARS);
  }
  if (battery?.selfDischargePerMonth !== undefined) {
    requireWithin('battery.selfDischargePerMonth', battery.selfDischargePerMonth, 0, MAX_SELF_DISCHARGE_PER_MONTH);
  }
}
