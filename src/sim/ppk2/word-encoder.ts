/**
 * A current → the PPK2's 4-byte sample word, the way the kit produces it: the lowest range whose ADC does not
 * saturate, the ADC count that the calibration maps closest to the current (the formula inverted, instruments.md §3),
 * quantised to 14 bits. Written apart from the driver's decoder (its own forward formula and bit layout), so a shared
 * mistake does not cancel out. Pure.
 */
import type { Ppk2Modifiers } from '../../ingest/serial/drivers/ppk2/metadata.js';

/** 14-bit ADC; counts above ~95 % of full scale switch the kit to the next range (its hysteresis, simplified). */
const ADC_MAX = 16_383;
const RANGE_SWITCH_ADC = Math.floor(ADC_MAX * 0.95);
const RANGES = 5;
const VOLTS_PER_COUNT = 1.8 / 163_840;

export interface EncodedSample {
  word: number;
  /** The current the kit's calibration gives for this word (what a correct decoder must read), A. */
  currentA: number;
}

export class Ppk2WordEncoder {
  constructor(
    private readonly modifiers: Ppk2Modifiers,
    /** The regulator voltage (the S term), mV. */
    private readonly vddMv: number,
  ) {}

  /** The current, A, the calibration gives for (range, 14-bit adc). */
  currentOf(range: number, adc: number): number {
    const m = this.modifiers;
    const rwg = ((adc * 4 - m.o[range]!) * VOLTS_PER_COUNT) / m.r[range]!;
    return m.ug[range]! * (m.gs[range]! * rwg * rwg + m.gi[range]! * rwg + m.s[range]! * (this.vddMv / 1000) + m.i[range]!);
  }

  encode(currentA: number, counter: number, logic: number): EncodedSample {
    for (let range = 0; range < RANGES; range += 1) {
      const adc = this.adcFor(range, currentA);
      if (adc <= RANGE_SWITCH_ADC || range === RANGES - 1) {
        const clamped = Math.min(ADC_MAX, Math.max(0, adc));
        const word = (clamped + range * 2 ** 14 + (counter & 63) * 2 ** 18 + (logic & 0xff) * 2 ** 24) >>> 0;
        return { word, currentA: this.currentOf(range, clamped) };
      }
    }
    throw new Error('unreachable: the top range takes every current');
  }

  /** The nearest 14-bit count for the current in this range (the quadratic solved for rwg, its positive root). */
  private adcFor(range: number, currentA: number): number {
    const m = this.modifiers;
    const c = m.s[range]! * (this.vddMv / 1000) + m.i[range]! - currentA / m.ug[range]!;
    const a = m.gs[range]!;
    const b = m.gi[range]!;
    const rwg = a === 0 ? -c / b : (-b + Math.sqrt(Math.max(0, b * b - 4 * a * c))) / (2 * a);
    return Math.round(((rwg * m.r[range]!) / VOLTS_PER_COUNT + m.o[range]!) / 4);
  }
}
