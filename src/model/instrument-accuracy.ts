/**
 * The stated accuracy of the lab instruments whose data we import or read, as a relative bound on a measured
 * average. Only figures with a source; an instrument without one has `relativeAccuracy: null` (unknown, never 0).
 */
import type { InstrumentId } from '../domain/instruments.js';

export interface InstrumentAccuracy {
  /** Relative bound on the measured current (and so power at a fixed supply), e.g. 0.02 for ±2 %; null: no stated figure. */
  relativeAccuracy: number | null;
  citation: string;
}

export const INSTRUMENT_ACCURACY: Readonly<Record<InstrumentId, InstrumentAccuracy>> = Object.freeze({
  lpm01a: {
    relativeAccuracy: 0.02,
    citation:
      'ST UM2243 Rev 2 §9 (X-NUCLEO-LPM01A): static mode 1 nA–200 mA "with an accuracy of better than 2%"; the supply is "close to targeted voltage (±1 %)" (UM2269), not included',
  },
  ppk2: { relativeAccuracy: null, citation: 'Nordic PPK2: no accuracy figure in the sources read (instruments.md §3)' },
  js110: { relativeAccuracy: null, citation: 'Joulescope JS110: no accuracy figure in the sources read (instruments.md §4)' },
  js220: { relativeAccuracy: null, citation: 'Joulescope JS220: no accuracy figure in the sources read (instruments.md §4)' },
});
