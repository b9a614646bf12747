/**
 * When two windows of one device are the same window, and when they claim the same time (firmware-protocol/SPEC.md
 * §7). Pure: every Store implementation applies these inside its append transaction, so the rules hold within a
 * batch, across batches and across sources.
 */
import type { EnergyWindow, StartStamp } from './types.js';

/**
 * Time two device-stamped windows may share without one of them being refused as an overlap (ms). Honest neighbours
 * touch rather than overlap, except for: integer-ms stamps and float durations (≤ 1 ms), and an SNTP step of the
 * device's clock between two windows, which moves the later start back into its predecessor (tens to a few hundred
 * ms on a synchronised node). 1 s absorbs both; a window re-sent with a corrected payload, or two windows over the
 * same seconds (the example), share the whole window.
 */
export const WINDOW_OVERLAP_TOLERANCE_MS = 1_000;
/**
 * The tolerance is also at most this fraction of the shorter window, so that two short windows cannot both count
 * the same second: at most 10 % of a window's energy can be counted twice.
 */
export const WINDOW_OVERLAP_TOLERANCE_FRACTION = 0.1;

type Span = Pick<EnergyWindow, 'startMs' | 'durationS' | 'startStampedBy'>;

/** What a device reports about a window; `startMs` counts only where the device stamped it. */
export type WindowContent = Pick<
  EnergyWindow,
  'seq' | 'startMs' | 'durationS' | 'energyJ' | 'sampleCount' | 'minPowerW' | 'maxPowerW' | 'inferenceCount' | 'startStampedBy'
>;

export function startStamp(window: Pick<EnergyWindow, 'startStampedBy'>): StartStamp {
  return window.startStampedBy ?? 'receiver';
}

export function endMs(window: Span): number {
  return window.startMs + window.durationS * 1000;
}

/**
 * True when `b` is the same window of the same device as `a` again (a redelivery), compared on what the device
 * reported: seq, duration, energy, samples, min/max power and inferences, and the start only when the device stamped
 * both. A receiver stamp differs on every delivery of one window, so it cannot tell a redelivery from a new window.
 * The comparison is exact: a redelivery is the same bytes through the same mapping. Everything else under a stored seq
 * is a new window that re-uses the seq (a device that restarted its seq at 0 after a reboot).
 */
export function isSameWindow(a: WindowContent, b: WindowContent): boolean {
  const bothDeviceStamped = startStamp(a) === 'device' && startStamp(b) === 'device';
  return (
    a.seq === b.seq &&
    a.durationS === b.durationS &&
    a.energyJ === b.energyJ &&
    a.sampleCount === b.sampleCount &&
    a.minPowerW === b.minPowerW &&
    a.maxPowerW === b.maxPowerW &&
    a.inferenceCount === b.inferenceCount &&
    (!bothDeviceStamped || a.startMs === b.startMs)
  );
}

/** Milliseconds the two spans share (≤ 0 when they are disjoint or touch). */
export function sharedMs(a: Span, b: Span): number {
  return Math.min(endMs(a), endMs(b)) - Math.max(a.startMs, b.startMs);
}

export function overlapToleranceMs(a: Span, b: Span): number {
  return Math.min(WINDOW_OVERLAP_TOLERANCE_MS, WINDOW_OVERLAP_TOLERANCE_FRACTION * Math.min(a.durationS, b.durationS) * 1000);
}

/**
 * True when both windows carry the device's own start and share more than the tolerance. Receiver-stamped windows
 * never overlap anything: their span is the receiver's estimate (receive time − duration), and a device that queued
 * windows while offline delivers them within milliseconds, so their estimated spans overlap although the device
 * measured them one after the other.
 */
export function overlaps(a: Span, b: Span): boolean {
  if (startStamp(a) !== 'device' || startStamp(b) !== 'device') return false;
  return sharedMs(a, b) > overlapToleranceMs(a, b);
}

/** The detail of an overlap refusal, naming the window already stored (or earlier in the batch). */
export function overlapDetail(window: EnergyWindow, other: Pick<EnergyWindow, 'seq' | 'startMs' | 'durationS'>): string {
  const span = (w: Pick<EnergyWindow, 'startMs' | 'durationS'>) => `${new Date(w.startMs).toISOString()} + ${w.durationS} s`;
  return (
    `seq ${window.seq} (${span(window)}) shares ${(sharedMs(window, { ...other, startStampedBy: 'device' }) / 1000).toFixed(3)} s ` +
    `with stored seq ${other.seq} (${span(other)}) of device ${window.deviceId}`
  );
}
