/**
 * Limits every layer agrees on: what a plausible energy window is (every source checks it the same way) and the
 * largest power the model accepts. Each is a named constant with its unit and the reason for its value.
 */

/** Watts: above any MCU-class board or gateway (a Raspberry Pi 5 peaks near 12 W); more is a mW/µW unit mistake. */
export const MAX_POWER_W = 100;
/** Milliseconds a window's start may be in the future (device clocks drift; more is a unit mistake). */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;
/** Seconds one window may span: a day; longer windows hide gaps. */
export const MAX_WINDOW_DURATION_S = 86_400;
