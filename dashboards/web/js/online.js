/** "Online" in the browser, the same rule as the server's (src/service/device-presence.ts isOnlineNow). */

/**
 * Milliseconds since the last window within which a device counts as online, used only until the event stream's
 * `hello` brings the server's own threshold (its default is ONLINE_THRESHOLD_MS in src/config/defaults.ts).
 */
export const DEFAULT_ONLINE_THRESHOLD_MS = 60_000;

/**
 * @typedef {{ state: 'online' | 'offline', sinceMs: number, via: 'status' | 'connection' }} Presence
 */

/**
 * Online now. A device whose transport reports presence (its MQTT status, its last will) is online exactly when that
 * says so; otherwise when its last window ended within the threshold (server clock estimate: local clock + offset).
 * @param {number | null} lastSeenMs @param {number} serverNowMs @param {number} thresholdMs
 * @param {Presence | null | undefined} [presence]
 */
export function isOnline(lastSeenMs, serverNowMs, thresholdMs, presence) {
  if (presence) return presence.state === 'online';
  return lastSeenMs !== null && serverNowMs - lastSeenMs <= thresholdMs;
}

/**
 * Why the status reads as it does, for a tooltip.
 * @param {number | null} lastSeenMs @param {Presence | null | undefined} presence
 */
export function statusTitle(lastSeenMs, presence) {
  const window = lastSeenMs === null ? 'no window received yet' : `last window ended ${new Date(lastSeenMs).toISOString()}`;
  if (!presence) return `${window}; online while its last window is within the online threshold`;
  const source =
    presence.via === 'connection' ? 'MQTT connection' : presence.state === 'offline' ? 'MQTT status (its last will or its own "offline")' : 'MQTT status';
  return `${presence.state} since ${new Date(presence.sinceMs).toISOString()} by its ${source}; ${window}`;
}
