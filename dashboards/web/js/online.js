/** "Online" in the browser, the same rule as the server's (src/service/device-footprint.ts deviceStatus). */

/**
 * Milliseconds since the last window within which a device counts as online, used only until the event stream's
 * `hello` brings the server's own threshold (its default is ONLINE_THRESHOLD_MS in src/config/defaults.ts).
 */
export const DEFAULT_ONLINE_THRESHOLD_MS = 60_000;

/**
 * Online now: the last window ended within the threshold (server clock estimate: local clock + offset).
 * @param {number | null} lastSeenMs @param {number} serverNowMs @param {number} thresholdMs
 */
export function isOnline(lastSeenMs, serverNowMs, thresholdMs) {
  return lastSeenMs !== null && serverNowMs - lastSeenMs <= thresholdMs;
}
