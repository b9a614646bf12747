/**
 * The lab instruments whose files and streams this service reads (instruments.md §1–4). A window names its
 * instrument when the source knows it (an import, an instrument driver); the model looks up its accuracy
 * (src/model/instrument-accuracy.ts). A closed list: a window naming anything else is malformed.
 */
export const INSTRUMENT_IDS = ['lpm01a', 'ppk2', 'js110', 'js220'] as const;

export type InstrumentId = (typeof INSTRUMENT_IDS)[number];

export function isInstrumentId(value: unknown): value is InstrumentId {
  return typeof value === 'string' && (INSTRUMENT_IDS as readonly string[]).includes(value);
}

/**
 * What a window's span is: `time` (the default), a stretch of time in which `inferenceCount` inferences happened
 * among idle time; `inferences`, the run of exactly `inferenceCount` inferences between two markers (MLPerf Tiny's
 * window: its energy divided by its inferences is the energy per inference, instruments.md §1.5).
 */
export const WINDOW_SPANS = ['time', 'inferences'] as const;

export type WindowSpan = (typeof WINDOW_SPANS)[number];
