/**
 * Cuts a stream of (time, power, duration) samples into consecutive time windows of IMPORT_WINDOW_S, the shape every
 * CSV export becomes. Pure.
 */
import type { ImportedWindow } from './import-types.js';
import { IMPORT_WINDOW_S } from './limits.js';

export class TimeWindowCutter {
  private readonly windows: ImportedWindow[] = [];
  private open: { offsetMs: number; durationS: number; energyJ: number; samples: number; min: number; max: number } | null = null;

  constructor(private readonly windowS = IMPORT_WINDOW_S) {}

  /** A sample starting at `tS` (from the run's start) averaging `powerW` over `dtS`, its extremes `minW`/`maxW`. */
  add(tS: number, powerW: number, dtS: number, minW = powerW, maxW = powerW): void {
    if (this.open !== null && tS * 1000 >= this.open.offsetMs + this.windowS * 1000) this.close();
    if (this.open === null) this.open = { offsetMs: tS * 1000, durationS: 0, energyJ: 0, samples: 0, min: minW, max: maxW };
    this.open.durationS += dtS;
    this.open.energyJ += powerW * dtS;
    this.open.samples += 1;
    this.open.min = Math.min(this.open.min, minW);
    this.open.max = Math.max(this.open.max, maxW);
  }

  finish(): ImportedWindow[] {
    this.close();
    return this.windows;
  }

  private close(): void {
    const w = this.open;
    if (w === null) return;
    this.windows.push({
      offsetMs: w.offsetMs,
      durationS: w.durationS,
      energyJ: w.energyJ,
      sampleCount: w.samples,
      minPowerW: w.min,
      maxPowerW: w.max,
      inferenceCount: 0,
      span: 'time',
    });
    this.open = null;
  }
}

/** Lines of a CSV text without the empty last one; `\r\n` or `\n`. */
export function csvLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
