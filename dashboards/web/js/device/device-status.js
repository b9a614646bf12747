/**
 * One device's state in words, from its transport's presence (MQTT status, last will) and its last window:
 * - online: the presence says online (or there is none) and a window ended within the online threshold;
 * - stale: nothing says it went away, but no window arrived within the threshold (since: last window + threshold);
 * - offline: its presence says offline (since: when it said so);
 * - no data: it never sent a window and nothing reports it online.
 * @typedef {{ state: 'online' | 'offline', sinceMs: number, via: 'status' | 'connection' }} Presence
 * @typedef {{ state: 'online' | 'stale' | 'offline' | 'no-data', sinceMs: number | null, why: string }} DeviceState
 */

/**
 * @param {{ lastSeenMs: number | null, presence: Presence | null }} status
 * @param {number} nowMs server clock estimate
 * @param {number} thresholdMs online threshold (the server's, from the event stream's hello)
 * @returns {DeviceState}
 */
export function deviceState(status, nowMs, thresholdMs) {
  const { lastSeenMs, presence } = status;
  if (presence && presence.state === 'offline')
    return { state: 'offline', sinceMs: presence.sinceMs, why: `its ${presence.via === 'connection' ? 'MQTT connection closed' : 'MQTT status says offline'}` };
  if (lastSeenMs === null) {
    if (presence && presence.state === 'online') return { state: 'stale', sinceMs: presence.sinceMs, why: 'connected, but no energy window received yet' };
    return { state: 'no-data', sinceMs: null, why: 'no energy window received yet' };
  }
  if (nowMs - lastSeenMs <= thresholdMs) return { state: 'online', sinceMs: null, why: 'its last window is within the online threshold' };
  return { state: 'stale', sinceMs: lastSeenMs + thresholdMs, why: `no window for more than ${Math.round(thresholdMs / 1000)} s` };
}
