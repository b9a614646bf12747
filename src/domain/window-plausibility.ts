import { MAX_FUTURE_SKEW_MS, MAX_POWER_W } from './limits.js';
import { isInstrumentId, WINDOW_SPANS } from './instruments.js';
import type { EnergyWindow } from './types.js';

/**
 * The window rules, the same for every source (HTTP, serial, MQTT), checked once per window by the one sink every
 * reader delivers into (IngestService): a window is well-formed (windowShapeProblems) and plausible against physics
 * and clocks, or it is refused with one of these reasons. The protocol parsers and the HTTP schema check the wire
 * formats (their own bounds, SPEC.md §4–5 and the OpenAPI document); this is what any window must be, whatever it
 * came from.
 */

/** Unix ms of 2000-01-01: no TinyML device reported before it; an earlier start is an unset clock (e.g. 0). */
export const MIN_WINDOW_START_MS = Date.UTC(2000, 0, 1);
/**
 * Slack when checking the average against the window's min/max power: devices send µW and µJ integers and ms
 * durations, so a correct average can fall outside [min, max] by rounding. 1 % plus 1 µW absorbs that; a unit
 * mistake (mJ sent as µJ) is off by 1000×.
 */
export const MIN_MAX_RELATIVE_SLACK = 0.01;
export const MIN_MAX_ABSOLUTE_SLACK_W = 1e-6;

export const IMPLAUSIBLE_REASONS = [
  'power_out_of_range',
  'start_before_2000',
  'start_in_future',
  'end_in_future',
  'min_above_max',
  'average_outside_min_max',
] as const;

export type ImplausibleReason = (typeof IMPLAUSIBLE_REASONS)[number];

/** Why a window is refused: not a well-formed window (a source's mapping is wrong), or implausible. */
export const WINDOW_REJECT_REASONS = ['malformed', ...IMPLAUSIBLE_REASONS] as const;

export type WindowRejectReason = (typeof WINDOW_REJECT_REASONS)[number];

export interface WindowRejection {
  reason: WindowRejectReason;
  detail: string;
}

/**
 * The one check of a window against the rules: null when it is accepted, else why not. Every reason is final (a
 * retry would be refused again), so a source treats a refused window as handled.
 */
export function windowRejection(window: EnergyWindow, nowMs: number): WindowRejection | null {
  const problems = windowShapeProblems(window, 'window');
  if (problems.length > 0) return { reason: 'malformed', detail: problems.join('; ') };
  return implausibility(window, nowMs);
}

/**
 * What makes a value a window at all: types, finite numbers, non-negative safe integers where the store counts.
 * Also the stores' own guard (a store is called directly too, and one NaN would poison a running aggregate for good).
 * `at` names the window in the messages, e.g. `windows[3]`.
 */
export function windowShapeProblems(window: EnergyWindow, at: string): string[] {
  const problems: string[] = [];
  if (typeof window.deviceId !== 'string' || window.deviceId.length === 0) {
    problems.push(`${at}.deviceId must be a non-empty string`);
  }
  if (!Number.isSafeInteger(window.seq) || window.seq < 0) problems.push(`${at}.seq must be a non-negative safe integer`);
  if (!isFiniteNonNegative(window.energyJ)) problems.push(`${at}.energyJ must be finite and >= 0`);
  if (!isFiniteNonNegative(window.durationS)) problems.push(`${at}.durationS must be finite and >= 0`);
  if (typeof window.startMs !== 'number' || !Number.isFinite(window.startMs)) {
    problems.push(`${at}.startMs must be a finite number`);
  }
  if (!Number.isSafeInteger(window.sampleCount) || window.sampleCount < 0) {
    problems.push(`${at}.sampleCount must be a non-negative safe integer`);
  }
  if (!Number.isSafeInteger(window.inferenceCount) || window.inferenceCount < 0) {
    problems.push(`${at}.inferenceCount must be a non-negative safe integer`);
  }
  for (const key of ['minPowerW', 'maxPowerW'] as const) {
    const value = window[key];
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
      problems.push(`${at}.${key} must be null or a finite number`);
    }
  }
  if (typeof window.source !== 'string') problems.push(`${at}.source must be a string`);
  if (window.startStampedBy !== undefined && window.startStampedBy !== 'device' && window.startStampedBy !== 'receiver') {
    problems.push(`${at}.startStampedBy must be 'device' or 'receiver'`);
  }
  if (window.instrument !== undefined && !isInstrumentId(window.instrument)) problems.push(`${at}.instrument must be a known instrument id`);
  if (window.span !== undefined && !(WINDOW_SPANS as readonly string[]).includes(window.span)) problems.push(`${at}.span must be 'time' or 'inferences'`);
  if (window.span === 'inferences' && window.inferenceCount === 0) problems.push(`${at}: a span of inferences needs inferenceCount > 0`);
  return problems;
}

function isFiniteNonNegative(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A well-formed window against physics and clocks, so one unit mistake cannot poison a device's footprint forever. */
function implausibility(window: EnergyWindow, nowMs: number): WindowRejection | null {
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
    return {
      reason: 'end_in_future',
      detail: `end ${new Date(endMs).toISOString()} (start + ${window.durationS} s) is more than a day in the future: is the duration in seconds?`,
    };
  }
  const { minPowerW, maxPowerW } = window;
  if (minPowerW !== null && maxPowerW !== null && minPowerW > maxPowerW) {
    return { reason: 'min_above_max', detail: `minPowerW ${minPowerW} W exceeds maxPowerW ${maxPowerW} W` };
  }
  if (window.sampleCount > 1) {
    const slackW = (value: number) => value * MIN_MAX_RELATIVE_SLACK + MIN_MAX_ABSOLUTE_SLACK_W;
    if ((minPowerW !== null && averageW < minPowerW - slackW(minPowerW)) || (maxPowerW !== null && averageW > maxPowerW + slackW(maxPowerW))) {
      return {
        reason: 'average_outside_min_max',
        detail: `average power ${averageW.toPrecision(4)} W is outside [${minPowerW ?? '-'}, ${maxPowerW ?? '-'}] W: check the units`,
      };
    }
  }
  return null;
}
