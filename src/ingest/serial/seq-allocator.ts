/**
 * Sequence numbers for serial windows (firmware-protocol/SPEC.md §4.3). Windows are unique by (deviceId, seq) and
 * a duplicate is ignored, so a reused seq loses data: every session starts above anything stored or issued before.
 */
import type { Store } from '../../store/store.js';

/** Where a device's seqs may start for a new session. */
export type SeqStart = (deviceId: string) => Promise<number>;

/** Store-backed: one above the stored maximum (or 0). Use this in `serve`, where a store exists. */
export function storeSeqStart(store: Pick<Store, 'getAggregate'>): SeqStart {
  return async (deviceId) => {
    const aggregate = await store.getAggregate(deviceId);
    return aggregate?.maxSeq === null || aggregate?.maxSeq === undefined ? 0 : aggregate.maxSeq + 1;
  };
}

/**
 * Without a store: the Unix time in ms. Monotonic across restarts while the clock is, and a session never issues
 * more seqs than milliseconds pass (windows last ≥ 1 s), so a later session always starts above an earlier one.
 */
export const epochMsSeqStart: SeqStart = async () => Date.now();

export class SeqAllocator {
  private readonly nextByDevice = new Map<string, number>();

  constructor(private readonly start: SeqStart) {}

  /** Called when a session learns its device; later seqs are above both the start and anything issued here. */
  async beginSession(deviceId: string): Promise<void> {
    const fromStart = await this.start(deviceId);
    const issued = this.nextByDevice.get(deviceId) ?? 0;
    this.nextByDevice.set(deviceId, Math.max(fromStart, issued));
  }

  next(deviceId: string): number {
    const seq = this.nextByDevice.get(deviceId);
    if (seq === undefined) throw new Error(`no session began for device ${deviceId}`);
    this.nextByDevice.set(deviceId, seq + 1);
    return seq;
  }
}
