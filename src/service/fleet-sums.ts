import type { Range } from '../model/catalogue-types.js';

/** What one device adds to the fleet totals (an errored device adds only to `devices` and `errors`). */
export interface SumContribution {
  error: boolean;
  measured: boolean;
  totalKgCO2e: number;
  totalRange: Range;
  assumedTotalKgCO2e: number;
  accruedKgCO2e: number;
  energyJ: number;
  observedS: number;
}

/** Energy and observed time as running sums, and how many devices add observed time to them. */
export interface ObservedSums {
  energyJ: number;
  observedS: number;
  /**
   * Devices that add energy or observed time: at 0 the float sums are set to exactly 0 (adding and taking out leaves a
   * residue). Energy counts too: an aggregate can carry energy without observed time (a read of InfluxDB that overlaps
   * a write can count a window in one function and not yet in another, docs/fleet-truth.md), and a reset while such a
   * device is in the sums would drop its energy, then taking it out would leave the sums short of it for good.
   */
  observed: number;
}

/** Add (`sign` 1) or take out (-1) one device's energy and observed time, with the very numbers it was added with. */
export function applyObserved(sums: ObservedSums, row: { energyJ: number; observedS: number }, sign: 1 | -1): void {
  sums.energyJ += sign * row.energyJ;
  sums.observedS += sign * row.observedS;
  if (row.observedS !== 0 || row.energyJ !== 0) sums.observed += sign;
  if (sums.observed === 0) {
    sums.energyJ = 0;
    sums.observedS = 0;
  }
}

/** The fleet totals the index keeps as running sums: a device's change subtracts its old contribution and adds its new one. */
export class FleetSums implements ObservedSums {
  devices = 0;
  errors = 0;
  online = 0;
  measured = 0;
  totalKgCO2e = 0;
  rangeMin = 0;
  rangeTypical = 0;
  rangeMax = 0;
  assumedTotalKgCO2e = 0;
  accruedKgCO2e = 0;
  energyJ = 0;
  observedS = 0;
  observed = 0;

  /** `sign` 1 adds the device, -1 takes it out again (with the very numbers it was added with). */
  apply(row: SumContribution, sign: 1 | -1): void {
    this.devices += sign;
    applyObserved(this, row, sign);
    if (row.error) this.errors += sign;
    else {
      if (row.measured) this.measured += sign;
      this.totalKgCO2e += sign * row.totalKgCO2e;
      this.rangeMin += sign * row.totalRange.min;
      this.rangeTypical += sign * row.totalRange.typical;
      this.rangeMax += sign * row.totalRange.max;
      this.assumedTotalKgCO2e += sign * row.assumedTotalKgCO2e;
      this.accruedKgCO2e += sign * row.accruedKgCO2e;
    }
    if (this.devices === this.errors) {
      // No device adds to these any more: exactly 0, not what adding and taking out left.
      this.totalKgCO2e = 0;
      this.rangeMin = 0;
      this.rangeTypical = 0;
      this.rangeMax = 0;
      this.assumedTotalKgCO2e = 0;
      this.accruedKgCO2e = 0;
    }
  }

  /** Only the accrued figure changed (the periodic refresh of deployed devices). */
  moveAccrued(fromKgCO2e: number, toKgCO2e: number): void {
    this.accruedKgCO2e += toKgCO2e - fromKgCO2e;
  }
}
