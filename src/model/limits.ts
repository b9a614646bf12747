/** Input limits of the model, shared by the HTTP schemas and the CLI. Values past them are unit mistakes. */

/** Years: microcontroller devices do not serve for decades; larger values are usually seconds or hours given as years. */
export const MAX_LIFETIME_YEARS = 50;
/** Watts (src/domain/limits.ts: window plausibility checks the same bound). */
export { MAX_POWER_W } from '../domain/limits.js';
/** Devices sharing one training run: a fleet of a billion is already far beyond any deployment. */
export const MAX_TRAINING_DEVICES = 1_000_000_000;
/** kg CO2e per kWh: the dirtiest grids are near 1.2; 5 leaves room for custom off-grid generators and catches g/kWh given as kg. */
export const MAX_GRID_KG_PER_KWH = 5;
/** kg CO2e for one user-supplied block or training value: ten times a 16-inch MacBook Pro; more is a g/kg mistake. */
export const MAX_CUSTOM_KG = 5_000;
/** Battery capacity, Wh: a TinyML node's pack is a few Wh; 1 kWh catches mWh given as Wh. */
export const MAX_BATTERY_WH = 1_000;
/** Full cycles: no Li-ion chemistry is rated past ~20 000 cycles. */
export const MAX_CYCLE_LIFE = 100_000;
/** Charger efficiency floor: no real charger wastes 99 % of its input; smaller values only make the use stage explode. */
export const MIN_CHARGER_EFFICIENCY = 0.01;
/** Battery capacity floor, Wh: 1 mWh, below the smallest thin-film cells; smaller values are unit mistakes. */
export const MIN_BATTERY_WH = 0.001;
/** Cycle-life floor: a rechargeable pack survives at least one full cycle. */
export const MIN_CYCLE_LIFE = 1;
/** Calendar life floor, years (about five weeks): no rechargeable pack ages out faster; smaller values are months or days given as years. */
export const MIN_CALENDAR_LIFE_YEARS = 0.1;
/** Calendar life ceiling, years: twice MAX_LIFETIME_YEARS, so it can switch calendar ageing off for any lifetime. */
export const MAX_CALENDAR_LIFE_YEARS = 100;
/** Self-discharge per month (fraction): NiMH, the leakiest common rechargeable, loses ~30 %; more is a percent given as a fraction. */
export const MAX_SELF_DISCHARGE_PER_MONTH = 0.5;
/** Inferences per second: a microcontroller model runs at most some thousands a second; a million catches a per-µs slip. */
export const MAX_INFERENCES_PER_S = 1_000_000;
