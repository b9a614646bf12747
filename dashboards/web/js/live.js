import { metrics } from './metrics.js';

/**
 * @typedef {{ serverNowMs: number, onlineThresholdMs: number, flushIntervalMs: number, device: string | null }} Hello
 * @typedef {{ atMs: number, rows: any[], points: Record<string, [number, number][]>, footprints: Record<string, any>, dropped: number }} Update
 */

/**
 * One EventSource on /api/events (optionally for one device). The browser reconnects by itself after `retry:`;
 * the status line in the header shows the state.
 * @param {{ device?: string, onHello?: (hello: Hello) => void, onUpdate: (update: Update) => void }} options
 * @returns {{ close(): void, ready: Promise<void> }}
 */
export function openLive(options) {
  const url = options.device ? `/api/events?device=${encodeURIComponent(options.device)}` : '/api/events';
  const source = new EventSource(url);
  const status = document.getElementById('live-status');
  /** @param {string} text @param {string} state */
  const setStatus = (text, state) => {
    if (status) {
      status.textContent = text;
      status.dataset['state'] = state;
    }
  };
  /** @type {(value: void) => void} */
  let resolveReady = () => {};
  const ready = new Promise((resolve) => {
    resolveReady = resolve;
  });
  setStatus('connecting…', 'connecting');
  source.addEventListener('hello', (event) => {
    const hello = JSON.parse(/** @type {MessageEvent} */ (event).data);
    metrics.helloAtMs ??= performance.now();
    setStatus('stream connected', 'live'); // the stream, not the devices: the fleet's own state is beside it (fleet-status.js)
    options.onHello?.(hello);
    resolveReady();
  });
  source.addEventListener('update', (event) => {
    /** @type {Update} */
    const update = JSON.parse(/** @type {MessageEvent} */ (event).data);
    metrics.events += 1;
    metrics.rowsReceived += update.rows.length;
    metrics.pointsReceived += Object.values(update.points).reduce((sum, list) => sum + list.length, 0);
    metrics.lastEventAtMs = Date.now();
    metrics.dropped = update.dropped;
    options.onUpdate(update);
  });
  source.addEventListener('error', () => setStatus(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting…', 'offline'));
  return {
    ready,
    close() {
      source.close();
      setStatus('idle', 'idle');
    },
  };
}
