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

/**
 * The newer of two footprint answers for one device (GET /api/devices/:id/footprint, or the stream's): more windows
 * wins (the count only grows), then the later presence report (a last will), then the later last window; a tie keeps
 * the incoming one (an edit changes the spec, not these). A read that raced the stream never takes the view back in time.
 * @template {{ aggregate: { windows: number } | null, status: { lastSeenMs: number | null, presence: Presence | null } }} T
 * @param {T} current @param {T} incoming
 * @returns {T}
 */
export function newerDeviceState(current, incoming) {
  const windowsOrder = (incoming.aggregate?.windows ?? 0) - (current.aggregate?.windows ?? 0);
  if (windowsOrder !== 0) return windowsOrder > 0 ? incoming : current;
  const presenceOrder = (incoming.status.presence?.sinceMs ?? 0) - (current.status.presence?.sinceMs ?? 0);
  if (presenceOrder !== 0) return presenceOrder > 0 ? incoming : current;
  return (incoming.status.lastSeenMs ?? 0) >= (current.status.lastSeenMs ?? 0) ? incoming : current;
}
