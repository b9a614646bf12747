/**
 * The PPK2's sample stream → currents, logic bytes and lost samples. Pure and streaming: feed it reads of any size
 * (a word may be split across reads, a read may hold thousands of words); it never allocates per sample.
 *
 * Loss detection uses the word's 6-bit counter (+1 per sample, instruments.md §3). Nordic's app counts the missing
 * samples of a gap as (counter − expected) mod 64 once a few words disagree with the expected counter; we apply one
 * rule to every disagreement: words are held until a run of them is consistent, and what the counter says is missing
 * between the last good word and the run is a gap of lost samples (reported as lost coverage, never as energy):
 *  - a run continuing the old sequence at the old alignment (CONTINUE_WORDS words): the words in between were
 *    corrupt (their slots count as lost);
 *  - a run of CONFIRM_WORDS consecutive counters at any byte offset: samples were dropped (offset a multiple of 4)
 *    or bytes were (any other offset: the decoder realigns, counted in `resyncs`).
 * Bytes that belong to no run are skipped and counted. A loss of a multiple of 64 samples is invisible to a 6-bit
 * counter (as in every PPK2 driver); a word whose range field is 5–7 (no such range) is a lost sample, not a guess.
 */
import { PPK2_ADC_MASK, PPK2_COUNTER_MASK, PPK2_COUNTER_SHIFT, PPK2_LOGIC_SHIFT, PPK2_RANGE_MASK, PPK2_RANGE_SHIFT, PPK2_RANGES } from './protocol.js';
import { SPIKE_FILTER, type Ppk2Calibration } from './calibration.js';

/**
 * Consecutive counters that lock the decoder at an arbitrary byte offset. Four in a row happen by chance in random
 * bytes once in 64³ ≈ 262 000 offsets, and cost 40 µs of stream to confirm.
 */
export const CONFIRM_WORDS = 4;
/** Consecutive counters that continue the old sequence (same alignment, slots accounted for): 1 in 4096 by chance. */
export const CONTINUE_WORDS = 2;
/** Bytes held while looking for a run: 16 words. Beyond it the oldest bytes are skipped, keeping what may start a run. */
export const HOLD_BYTES = 64;

export interface DecoderStats {
  /** Samples decoded (currents output). */
  samples: number;
  /** Samples the counter says are missing (dropped, corrupt, or not a measurement), mod 64 per gap. */
  lostSamples: number;
  /** Gaps (runs of lost samples). */
  gaps: number;
  /** Words with a range field of 5–7: counted in lostSamples. */
  invalidWords: number;
  /** Realignments: the stream continued at another byte offset than a whole number of words. */
  resyncs: number;
  /** Bytes that belonged to no consistent run of words. */
  bytesSkipped: number;
}

/** The output of one decode() call, valid until the next (the arrays are reused). */
export interface DecodedBatch {
  count: number;
  /** Current of sample k, A (spike-filtered unless the filter is off). */
  currentA: Float64Array;
  /** Logic inputs D0 (bit 0) … D7 (bit 7) of sample k. */
  logic: Uint8Array;
  /** Gap k: `gapSamples[k]` samples were lost just before output sample `gapAt[k]` (gapAt may equal count: at the end). */
  gapCount: number;
  gapAt: number[];
  gapSamples: number[];
}

export interface DecoderOptions {
  /** Nordic's spike filter after range switches (calibration.ts SPIKE_FILTER). Default on, as in nRF Connect. */
  spikeFilter?: boolean;
}

const WORD = 4;
const MODULO_MASK = PPK2_COUNTER_MASK;
const ALPHA = SPIKE_FILTER.alpha;
const ALPHA5 = SPIKE_FILTER.alpha5;
const TOP_RANGE = PPK2_RANGES - 1;

function readWord(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

export class Ppk2SampleDecoder {
  readonly stats: DecoderStats = { samples: 0, lostSamples: 0, gaps: 0, invalidWords: 0, resyncs: 0, bytesSkipped: 0 };
  private readonly batch: DecodedBatch = {
    count: 0,
    currentA: new Float64Array(0),
    logic: new Uint8Array(0),
    gapCount: 0,
    gapAt: [],
    gapSamples: [],
  };
  private readonly spikeFilter: boolean;
  /** The counter the next word must carry; -1 until the first run locks the decoder. */
  private expected = -1;
  /** Raw bytes not yet decoded: 0–3 (a split word) when in step, up to HOLD_BYTES while looking for a run. */
  private readonly held = new Uint8Array(HOLD_BYTES);
  private heldLength = 0;
  private isHolding = false;
  // Spike filter state (Nordic getAdcResult); NaN = undefined.
  private rollingAvg = Number.NaN;
  private rollingAvg4 = Number.NaN;
  private prevRange = -1;
  private afterSpike = 0;
  private consecutiveRangeSample = 0;

  constructor(
    private readonly calibration: Ppk2Calibration,
    options: DecoderOptions = {},
  ) {
    this.spikeFilter = options.spikeFilter ?? true;
  }

  /** A new measurement (AverageStart): nothing carries over, as in Nordic's `sendCommand(AverageStart)`. */
  reset(): void {
    this.expected = -1;
    this.heldLength = 0;
    this.isHolding = false;
    this.rollingAvg = Number.NaN;
    this.rollingAvg4 = Number.NaN;
    this.prevRange = -1;
    this.afterSpike = 0;
    this.consecutiveRangeSample = 0;
  }

  /** Bytes held undecided (a split word, or words waiting for a consistent run). */
  get pendingBytes(): number {
    return this.heldLength;
  }

  decode(chunk: Uint8Array): DecodedBatch {
    const batch = this.batch;
    batch.count = 0;
    batch.gapCount = 0;
    this.ensureCapacity(((this.heldLength + chunk.length) >>> 2) + 1);
    const length = chunk.length;
    let at = 0;
    while (at < length) {
      if (this.isHolding) {
        const take = Math.min(length - at, HOLD_BYTES - this.heldLength);
        this.held.set(chunk.subarray(at, at + take), this.heldLength);
        this.heldLength += take;
        at += take;
        this.resolve();
        continue;
      }
      if (this.heldLength > 0) {
        const take = Math.min(WORD - this.heldLength, length - at);
        this.held.set(chunk.subarray(at, at + take), this.heldLength);
        this.heldLength += take;
        at += take;
        if (this.heldLength < WORD) break;
        const word = readWord(this.held, 0);
        if (((word >>> PPK2_COUNTER_SHIFT) & MODULO_MASK) === this.expected) {
          this.heldLength = 0;
          this.accept(word);
        } else {
          this.isHolding = true;
          this.resolve();
        }
        continue;
      }
      // In step: the hot loop; a word in range 5–7 with the right counter is booked by accept(), the rest holds.
      at = this.decodeInStep(chunk, at);
      if (at + WORD <= length && ((readWord(chunk, at) >>> PPK2_COUNTER_SHIFT) & MODULO_MASK) === this.expected) {
        this.accept(readWord(chunk, at));
        at += WORD;
        continue;
      }
      const rest = length - at;
      if (rest >= WORD) {
        this.held.set(chunk.subarray(at, at + WORD), 0);
        this.heldLength = WORD;
        at += WORD;
        this.isHolding = true;
        this.resolve();
      } else {
        this.held.set(chunk.subarray(at, length), 0);
        this.heldLength = rest;
        at = length;
      }
    }
    return batch;
  }

  /**
   * accept() and filter() for a run of in-step words, with the state in locals (twice the speed with the spike filter
   * on). Stops at the first word that is not in step or not in a range 0–4; returns its offset.
   */
  private decodeInStep(chunk: Uint8Array, from: number): number {
    const length = chunk.length;
    const c = this.calibration;
    const offset = c.offset;
    const scale = c.scale;
    const gainSlope = c.gainSlope;
    const gainIntercept = c.gainIntercept;
    const vddTerm = c.vddTerm;
    const userGain = c.userGain;
    const batch = this.batch;
    const currents = batch.currentA;
    const logic = batch.logic;
    const isFiltering = this.spikeFilter;
    let k = batch.count;
    let expected = this.expected;
    let avg = this.rollingAvg;
    let avg4 = this.rollingAvg4;
    let prevRange = this.prevRange;
    let afterSpike = this.afterSpike;
    let consecutive = this.consecutiveRangeSample;
    let at = from;
    while (at + WORD <= length) {
      const word = (chunk[at]! | (chunk[at + 1]! << 8) | (chunk[at + 2]! << 16) | (chunk[at + 3]! << 24)) >>> 0;
      if (((word >>> PPK2_COUNTER_SHIFT) & MODULO_MASK) !== expected) break;
      const range = (word >>> PPK2_RANGE_SHIFT) & PPK2_RANGE_MASK;
      if (range > TOP_RANGE) break;
      const rwg = ((word & PPK2_ADC_MASK) * 4 - offset[range]!) * scale[range]!;
      let current = userGain[range]! * (rwg * (gainSlope[range]! * rwg + gainIntercept[range]!) + vddTerm[range]!);
      if (isFiltering) {
        const prevAvg = avg;
        const prevAvg4 = avg4;
        if (prevRange === -1) {
          avg = current;
          avg4 = current;
          prevRange = range;
        } else {
          avg = ALPHA * current + (1 - ALPHA) * avg;
          avg4 = ALPHA5 * current + (1 - ALPHA5) * avg4;
        }
        if (prevRange !== range || afterSpike > 0) {
          if (prevRange !== range) {
            consecutive = 0;
            afterSpike = SPIKE_FILTER.samples;
          } else {
            consecutive += 1;
          }
          if (range === TOP_RANGE) {
            if (consecutive < 2) {
              avg4 = prevAvg4;
              avg = prevAvg;
            }
            current = avg4;
          } else {
            current = avg;
          }
          afterSpike -= 1;
        }
        prevRange = range;
      }
      currents[k] = current;
      logic[k] = word >>> PPK2_LOGIC_SHIFT;
      k += 1;
      expected = (expected + 1) & MODULO_MASK;
      at += WORD;
    }
    this.stats.samples += k - batch.count;
    batch.count = k;
    this.expected = expected;
    this.rollingAvg = avg;
    this.rollingAvg4 = avg4;
    this.prevRange = prevRange;
    this.afterSpike = afterSpike;
    this.consecutiveRangeSample = consecutive;
    return at;
  }

  /** One word in step: its current and logic to the batch, the counter advanced. */
  private accept(word: number): void {
    this.expected = (this.expected + 1) & MODULO_MASK;
    const range = (word >>> PPK2_RANGE_SHIFT) & PPK2_RANGE_MASK;
    if (range > TOP_RANGE) {
      this.stats.invalidWords += 1;
      this.addGap(1);
      return;
    }
    const c = this.calibration;
    const rwg = ((word & PPK2_ADC_MASK) * 4 - c.offset[range]!) * c.scale[range]!;
    let current = c.userGain[range]! * (rwg * (c.gainSlope[range]! * rwg + c.gainIntercept[range]!) + c.vddTerm[range]!);
    if (this.spikeFilter) current = this.filter(range, current);
    const batch = this.batch;
    const k = batch.count;
    batch.currentA[k] = current;
    batch.logic[k] = word >>> PPK2_LOGIC_SHIFT;
    batch.count = k + 1;
    this.stats.samples += 1;
  }

  /** Nordic's getAdcResult after the formula, step for step. */
  private filter(range: number, adc: number): number {
    const prevRollingAvg4 = this.rollingAvg4;
    const prevRollingAvg = this.rollingAvg;
    this.rollingAvg = Number.isNaN(this.rollingAvg) ? adc : ALPHA * adc + (1 - ALPHA) * this.rollingAvg;
    this.rollingAvg4 = Number.isNaN(this.rollingAvg4) ? adc : ALPHA5 * adc + (1 - ALPHA5) * this.rollingAvg4;
    if (this.prevRange === -1) this.prevRange = range;
    let result = adc;
    if (this.prevRange !== range || this.afterSpike > 0) {
      if (this.prevRange !== range) {
        this.consecutiveRangeSample = 0;
        this.afterSpike = SPIKE_FILTER.samples;
      } else {
        this.consecutiveRangeSample += 1;
      }
      if (range === TOP_RANGE) {
        if (this.consecutiveRangeSample < 2) {
          this.rollingAvg4 = prevRollingAvg4;
          this.rollingAvg = prevRollingAvg;
        }
        result = this.rollingAvg4;
      } else {
        result = this.rollingAvg;
      }
      this.afterSpike -= 1;
    }
    this.prevRange = range;
    return result;
  }

  /**
   * Holding: find the first consistent run in the held bytes, book what the counter says is missing before it,
   * decode it, and go back in step once fewer than a word's bytes are left.
   */
  private resolve(): void {
    for (;;) {
      const offset = this.findRun();
      if (offset === -1) {
        if (this.heldLength >= HOLD_BYTES) this.skip(this.heldLength - (CONFIRM_WORDS * WORD - 1));
        return;
      }
      if (offset % WORD !== 0) this.stats.resyncs += 1;
      const first = (readWord(this.held, offset) >>> PPK2_COUNTER_SHIFT) & MODULO_MASK;
      if (this.expected !== -1) {
        const lost = (first - this.expected) & MODULO_MASK;
        if (lost > 0) this.addGap(lost);
      }
      this.stats.bytesSkipped += offset;
      this.expected = first;
      let at = offset;
      while (at + WORD <= this.heldLength) {
        const word = readWord(this.held, at);
        if (((word >>> PPK2_COUNTER_SHIFT) & MODULO_MASK) !== this.expected) break;
        this.accept(word);
        at += WORD;
      }
      this.held.copyWithin(0, at, this.heldLength);
      this.heldLength -= at;
      if (this.heldLength < WORD) {
        this.isHolding = false;
        return;
      }
    }
  }

  /** Offset of the first run in the held bytes, or -1 when there is none yet (or one cannot be told yet). */
  private findRun(): number {
    const held = this.held;
    const length = this.heldLength;
    for (let offset = 0; offset + WORD <= length; offset += 1) {
      const counter = (readWord(held, offset) >>> PPK2_COUNTER_SHIFT) & MODULO_MASK;
      const continues = this.expected !== -1 && offset % WORD === 0 && counter === ((this.expected + offset / WORD) & MODULO_MASK);
      if (continues) {
        if (offset + CONTINUE_WORDS * WORD > length) return -1;
        if (this.isRun(offset, counter, CONTINUE_WORDS)) return offset;
      }
      if (offset + CONFIRM_WORDS * WORD > length) return -1;
      if (this.isRun(offset, counter, CONFIRM_WORDS)) return offset;
    }
    return -1;
  }

  private isRun(offset: number, counter: number, words: number): boolean {
    for (let k = 1; k < words; k += 1) {
      if (((readWord(this.held, offset + k * WORD) >>> PPK2_COUNTER_SHIFT) & MODULO_MASK) !== ((counter + k) & MODULO_MASK)) return false;
    }
    return true;
  }

  private skip(bytes: number): void {
    if (bytes <= 0) return;
    this.held.copyWithin(0, bytes, this.heldLength);
    this.heldLength -= bytes;
    this.stats.bytesSkipped += bytes;
  }

  private addGap(samples: number): void {
    const batch = this.batch;
    const at = batch.count;
    const last = batch.gapCount - 1;
    if (last >= 0 && batch.gapAt[last] === at) {
      batch.gapSamples[last]! += samples;
    } else {
      batch.gapAt[batch.gapCount] = at;
      batch.gapSamples[batch.gapCount] = samples;
      batch.gapCount += 1;
      this.stats.gaps += 1;
    }
    this.stats.lostSamples += samples;
  }

  private ensureCapacity(samples: number): void {
    if (this.batch.currentA.length >= samples) return;
    const size = Math.max(samples, this.batch.currentA.length * 2, 1024);
    this.batch.currentA = new Float64Array(size);
    this.batch.logic = new Uint8Array(size);
  }
}
