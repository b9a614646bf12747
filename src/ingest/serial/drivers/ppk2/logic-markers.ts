/**
 * The PPK2's logic inputs as inference markers: one channel (D0–D7, wired to a DUT GPIO that is high while an
 * inference runs, as MLPerf Tiny's timestamp pin) is watched for edges. A rising edge starts an inference, the next
 * falling edge ends it; the high time is the burst length (what the sampling-rate warning compares with 10 µs).
 * Pure and streaming: the level carries across batches; edges are reported as sample indices within the batch.
 */

export const PPK2_LOGIC_CHANNELS = 8;

export interface LogicEdgeBatch {
  /** Sample indices (within the batch) where the channel went high. */
  rises: number[];
  /** Sample indices where it went low, each with the samples it was high for (across batches). */
  falls: number[];
  highSamples: number[];
}

export class LogicMarkers {
  private readonly mask: number;
  /** Level of the last sample seen; null before the first (the first sample is a level, not an edge). */
  private level: boolean | null = null;
  /** Samples high since the last rise, or -1 when the channel was already high when watching began. */
  private highFor = -1;
  private readonly out: LogicEdgeBatch = { rises: [], falls: [], highSamples: [] };

  constructor(readonly channel: number) {
    if (!Number.isInteger(channel) || channel < 0 || channel >= PPK2_LOGIC_CHANNELS) {
      throw new RangeError(`PPK2 logic channel must be D0–D7 (0–7), got ${channel}`);
    }
    this.mask = 1 << channel;
  }

  /** Edges in `logic[0..count)`; the arrays are reused by the next call. */
  scan(logic: Uint8Array, count: number): LogicEdgeBatch {
    const out = this.out;
    out.rises.length = 0;
    out.falls.length = 0;
    out.highSamples.length = 0;
    const mask = this.mask;
    let level = this.level;
    let highFor = this.highFor;
    for (let k = 0; k < count; k += 1) {
      const isHigh = (logic[k]! & mask) !== 0;
      if (level === null) {
        level = isHigh;
        highFor = -1; // high from before we looked: its length is unknown
        continue;
      }
      if (isHigh && !level) {
        out.rises.push(k);
        highFor = 0;
      } else if (!isHigh && level) {
        out.falls.push(k);
        out.highSamples.push(highFor);
        highFor = -1;
      }
      if (isHigh && highFor >= 0) highFor += 1;
      level = isHigh;
    }
    this.level = level;
    this.highFor = highFor;
    return out;
  }

  /** Samples were lost: the level across the gap is unknown, so the next sample is a level again, not an edge. */
  gap(): void {
    this.level = null;
    this.highFor = -1;
  }

  /** A new measurement. */
  reset(): void {
    this.gap();
  }
}
