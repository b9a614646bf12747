import { MAX_FUTURE_SKEW_MS, MAX_POWER_W } from './limits.js';
import type { EnergyWindow } from './types.js';

/** Unix ms of 2000-01-01: no TinyML device reported before it; an earlier start is an unset clock (e.g. 0). */
export const MIN_WINDOW_START_MS = Date.UTC(2000, 0, 1);
/**
 * Slack when checking the average against the window's min/max power: devices send µW and µJ integers and ms
 * durations, so a correct average can fall outside [min, max] by rounding. 1 % plus 1 µW absorbs that; a unit
 * mistake (mJ sent as µJ) is off by 1000×.
 */
export const MIN_MAX_RELATIVE_SLACK = 0.01;
export const MIN_MAX_ABSOLUTE_SLACK_W = 1e-6;

export type ImplausibleReason =
  | 'power_out_of_range'
  | 'start_before_2000'
  | 'start_in_future'
  | 'end_in_future'
  | 'min_above_max'
  | 'average_outside_min_max';

export interface Implausibility {
  reason: ImplausibleReason;
  detail: string;
}

/**
 * Checks a structurally valid window against physics and clocks, the same way for every source (HTTP, serial,
 * MQTT), so one unit mistake cannot poison a device's footprint forever.
 */
export function implausibility(window: EnergyWindow, nowMs: number): Implausibility | null {
  const averageW = window.durationS > 0 ? window.energyJ / window.durationS : 0;
  if (averageW > MAX_POWER_W) {
    return { reason: 'power_out_of_range', detail: `average power ${averageW.toPrecision(4)} W is above ${MAX_POWER_W} W: check the units (J and s)` };
  }
  if (window.startMs < MIN_WINDOW_START_MS) {
    return { reason: 'start_before_2000', detail: `start ${window.startMs} ms is before 2000-01-01: is the device clock set?` };
  }
  if (window.startMs > nowMs + MAX_FUTURE_SKEW_MS) {
    return { reason: 'start_in_future', detail: `start ${new Date(window.startMs).toISOString()} is more than a day in the future: is it in milliseconds?` };
  }
  // The end, not only the start: a window starting just inside the skew but lasting a day would put the device's
  // last-seen time (and its observed span) up to two days ahead.
  const endMs = window.startMs + window.durationS * 1000;
  if (endMs > nowMs + MAX_FUTURE_SKEW_MS) {
    return { reason: 'end_in_future', detail: `end ${new Date(endMs).toISOString()} (start + ${window.durationS} s) is more than a day in the future: is the duration in seconds?` };
  }
  const { minPowerW, maxPowerW } = window;
  if (minPowerW !== null && maxPowerW !== null && minPowerW > maxPowerW) {
    return { reason: 'min_above_max', detail: `minPowerW ${minPowerW} W exceeds maxPowerW ${maxPowerW} W` };
  }
  if (window.sampleCount > 1) {
    const slackW = (value: number) => value * MIN_MAX_RELATIVE_SLACK + MIN_MAX_ABSOLUTE_SLACK_W;
    if ((minPowerW !== null && averageW < minPowerW - slackW(minPowerW)) || (maxPowerW !== null && averageW > maxPowerW + slackW(maxPowerW))) {
      return { reason: 'average_outside_min_max', detail: `average power ${averageW.toPrecision(4)} W is outside [${minPowerW ?? '-'}, ${maxPowerW ?? '-'}] W: check the units` };
    }
  }
  return null;
}
