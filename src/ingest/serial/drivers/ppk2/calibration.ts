/**
 * ADC count → current, the formula all three drivers share (Nordic `getAdcResult`, IRNAS `get_adc_result`, ppk2-rs
 * `get_adc_result`; instruments.md §3), in Nordic's order of operations so results are bit-identical to its app:
 *
 *   adc = ADC·4;  rwg = (adc − O[r]) · (1.8 / 163840 / R[r]);  I[A] = UG[r] · (rwg·(GS[r]·rwg + GI[r]) + (S[r]·VDD_V + I[r]))
 *
 * VDD is the regulator's voltage: the one the driver set (source mode), else the kit's own from its metadata
 * (Nordic calls `ppkUpdateRegulator(metadata.vdd)` on open; IRNAS uses the voltage it set). Pure.
 */
import type { Ppk2Metadata, Ppk2Modifiers } from './metadata.js';
import { PPK2_RANGES } from './protocol.js';

/** Volts per ADC count (×4) before the range's resistor (Nordic `adcMult = 1.8 / 163840`). */
export const PPK2_ADC_MULTIPLIER = 1.8 / 163840;

/**
 * Nordic's spike filter (`SerialDevice.spikeFilter`, on by default in its app): for the 3 samples after a range
 * switch, the current is an exponential average (α 0.18; α 0.06 into the highest range, where the first two keep the
 * average from before the switch), so the shunt-switching transient is not read as current.
 */
export const SPIKE_FILTER = Object.freeze({ alpha: 0.18, alpha5: 0.06, samples: 3 });

/** Per-range constants of the formula, precomputed once per metadata block and regulator voltage. */
export class Ppk2Calibration {
  /** O[r]. */
  readonly offset = new Float64Array(PPK2_RANGES);
  /** 1.8 / 163840 / R[r]. */
  readonly scale = new Float64Array(PPK2_RANGES);
  readonly gainSlope = new Float64Array(PPK2_RANGES);
  readonly gainIntercept = new Float64Array(PPK2_RANGES);
  /** S[r]·VDD_V + I[r]. */
  readonly vddTerm = new Float64Array(PPK2_RANGES);
  readonly userGain = new Float64Array(PPK2_RANGES);

  constructor(
    readonly modifiers: Ppk2Modifiers,
    /** The regulator voltage, mV. */
    readonly vddMv: number,
  ) {
    for (let range = 0; range < PPK2_RANGES; range += 1) {
      this.offset[range] = modifiers.o[range]!;
      this.scale[range] = PPK2_ADC_MULTIPLIER / modifiers.r[range]!;
      this.gainSlope[range] = modifiers.gs[range]!;
      this.gainIntercept[range] = modifiers.gi[range]!;
      this.vddTerm[range] = modifiers.s[range]! * (vddMv / 1000) + modifiers.i[range]!;
      this.userGain[range] = modifiers.ug[range]!;
    }
  }

  static fromMetadata(metadata: Ppk2Metadata, regulatorMv: number = metadata.vddMv): Ppk2Calibration {
    return new Ppk2Calibration(metadata.modifiers, regulatorMv);
  }

  /** The current of one sample, A, without the spike filter. `adc` is the word's 14-bit field (before ×4). */
  currentA(range: number, adc: number): number {
    const rwg = (adc * 4 - this.offset[range]!) * this.scale[range]!;
    return this.userGain[range]! * (rwg * (this.gainSlope[range]! * rwg + this.gainIntercept[range]!) + this.vddTerm[range]!);
  }
}
