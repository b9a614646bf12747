/** Milliseconds between two samples of the fleet's online count: fine enough to see a fleet drop out within the online threshold. */
export const ONLINE_HISTORY_STEP_MS = 10_000;
/** Samples kept: 6 h at ONLINE_HISTORY_STEP_MS (2 160 × three numbers, about 50 KB); older ones are forgotten. */
export const ONLINE_HISTORY_SAMPLES = 2_160;

export interface OnlineSample {
  atMs: number;
  online: number;
  devices: number;
}

/** The fleet's online count over time, one sample per step, in a bounded ring (since the service started). */
export class OnlineHistory {
  private readonly samples: OnlineSample[] = [];
  private next = 0;

  constructor(
    private readonly stepMs = ONLINE_HISTORY_STEP_MS,
    private readonly capacity = ONLINE_HISTORY_SAMPLES,
  ) {}

  /** Record a sample when the last one is at least a step old (or the clock went back); returns whether it did. */
  maybeRecord(atMs: number, online: number, devices: number): boolean {
    const last = this.latest();
    if (last !== undefined && atMs - last.atMs < this.stepMs && atMs >= last.atMs) return false;
    if (last !== undefined && atMs < last.atMs) this.clear(); // a clock that went back: a new series
    const sample = { atMs, online, devices };
    if (this.samples.length < this.capacity) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    return true;
  }

  /** Oldest first. */
  list(): OnlineSample[] {
    if (this.samples.length < this.capacity) return [...this.samples];
    return [...this.samples.slice(this.next), ...this.samples.slice(0, this.next)];
  }

  get step(): number {
    return this.stepMs;
  }

  private latest(): OnlineSample | undefined {
    if (this.samples.length === 0) return undefined;
    return this.samples[(this.next - 1 + this.samples.length) % this.samples.length];
  }

  private clear(): void {
    this.samples.length = 0;
    this.next = 0;
  }
}
