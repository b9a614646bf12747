import { ValidationError } from '../domain/errors.js';
import type { FootprintInput } from './footprint-types.js';
import {
  MAX_BATTERY_WH,
  MAX_CYCLE_LIFE,
  MAX_CUSTOM_KG,
  MAX_LIFETIME_YEARS,
  MAX_POWER_W,
  MAX_TRAINING_DEVICES,
  MIN_BATTERY_WH,
  MIN_CHARGER_EFFICIENCY,
  MIN_CYCLE_LIFE,
} from './limits.js';

function requireFinite(name: string, value: number, min: number, max: number, exclusiveMin = false): void {
  const tooLow = exclusiveMin ? value <= min : value < min;
  if (!Number.isFinite(value) || tooLow || value > max) {
    throw new ValidationError(`${name} must be a finite number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${String(value)}`);
  }
}

/**
 * A custom system's `blocks` must be a plain object (or one without a prototype) whose own keys are the overrides:
 * an override only reachable through a prototype (what assigning `blocks.__proto__` does) would be ignored by the
 * block lookup, silently. Own keys that are not blocks are refused by name when the system is resolved.
 */
function requirePlainBlocks(system: FootprintInput['system']): void {
  if (typeof system === 'string' || system.blocks === undefined) return;
  const blocks: unknown = system.blocks;
  const prototype: unknown = typeof blocks === 'object' && blocks !== null ? Object.getPrototypeOf(blocks) : undefined;
  if (Array.isArray(blocks) || (prototype !== Object.prototype && prototype !== null)) {
    throw new ValidationError('system.blocks must be a plain object of block name → {level} or {kgCO2e}');
  }
}

/** The power check of validateFootprintInput alone (for inputs whose other fields were validated already). */
export function validatePowerW(powerW: number): void {
  requireFinite('power (W)', powerW, 0, MAX_POWER_W);
}

/** Rejects values the model cannot give a meaningful answer for; limits are in limits.ts with their reasons. */
export function validateFootprintInput(input: FootprintInput): void {
  requirePlainBlocks(input.system);
  validatePowerW(input.power.powerW);
  requireFinite('lifetimeYears', input.lifetimeYears, 0, MAX_LIFETIME_YEARS, true);
  requireFinite('trainingDevices', input.trainingDevices, 1, MAX_TRAINING_DEVICES);
  requireFinite('chargerEfficiency', input.chargerEfficiency, MIN_CHARGER_EFFICIENCY, 1);
  requireFinite('grid (kg CO2e/kWh)', input.grid.kgCO2ePerKWh, 0, Number.MAX_VALUE);
  if (input.battery?.capacityWh !== undefined) requireFinite('battery.capacityWh', input.battery.capacityWh, MIN_BATTERY_WH, MAX_BATTERY_WH);
  if (input.battery?.cycleLife !== undefined) requireFinite('battery.cycleLife', input.battery.cycleLife, MIN_CYCLE_LIFE, MAX_CYCLE_LIFE);
  if (input.battery?.packKgCO2e !== undefined) requireFinite('battery.packKgCO2e', input.battery.packKgCO2e, 0, MAX_CUSTOM_KG);
  if (input.elapsedS !== undefined) validateElapsedS(input.elapsedS);
}

/** The elapsed-time check of validateFootprintInput alone. */
export function validateElapsedS(elapsedS: number): void {
  requireFinite('elapsedS', elapsedS, 0, Number.MAX_VALUE);
}
