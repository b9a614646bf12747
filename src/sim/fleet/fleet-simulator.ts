/**
 * Publishes simulated fleet telemetry to any MQTT broker: one connection per device (its own client id, persistent
 * session, credentials and last will), QoS 1 windows from the pure profile generator. Each device keeps its
 * unacknowledged windows, as firmware with a persistent queue does, and re-sends them until they are acked or it is
 * stopped: bounded by its queue (the in-flight slots), not by a clock. MQTT.js itself re-sends what is in its outgoing
 * store after a reconnect, but fails the publishes it queued while re-sending ("Connection closed") when the
 * connection drops again; those are re-published here. Reconnects use our capped backoff with jitter.
 */
import { setMaxListeners } from 'node:events';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { MQTT_RECONNECT_BACKOFF } from '../../ingest/mqtt/mqtt-reader.js';
import { deviceTopic, STATUS_OFFLINE, STATUS_ONLINE } from '../../ingest/mqtt/topics.js';
import { Backoff } from '../../util/backoff.js';
import { simDeviceId, windowPayload } from './fleet-profile.js';
import { RateLimiter, Slots } from './rate-limiter.js';

/** Unacked windows per device connection: Mosquitto's default max_inflight_messages for MQTT 3.1.1 is 20. */
export const SIM_MAX_INFLIGHT_PER_DEVICE = 20;
/** Keepalive of simulated devices (s). */
export const SIM_KEEPALIVE_S = 30;
/**
 * Seconds the broker keeps a simulated device's MQTT 5 session (and its unacked windows) after a disconnect: one
 * hour covers a broker restart or a network cut during a run without leaving sessions behind for days.
 */
export const SIM_SESSION_EXPIRY_S = 3_600;
/** How long a stopping device waits for the ack of its "offline" status before it disconnects anyway (ms). */
export const SIM_STOP_GRACE_MS = 2_000;
/** CONNACK codes that will not get better by retrying: 4 bad user name or password, 5 not authorized (3.1.1); 134, 135 (MQTT 5). */
const FATAL_CONNACK_CODES = new Set([4, 5, 134, 135]);

export interface FleetSimulatorOptions {
  url: string;
  devices: number;
  /** Windows per device; undefined = until aborted. */
  count?: number | undefined;
  /** Wall time between a device's windows (ms); 0 = as fast as acks allow. */
  intervalMs: number;
  /** Length of each window (ms). */
  windowMs: number;
  firstSeq: number;
  /** start_ms of seq 0 in fast mode (interval 0); interval mode stamps windows with the wall clock. */
  epochMs: number;
  fleet: string;
  devicePrefix: string;
  topicPrefix: string;
  /** Shared login, or per-device passwords (user name = device id). */
  username?: string | undefined;
  password?: string | undefined;
  passwords?: ReadonlyMap<string, string> | undefined;
  protocolVersion: 4 | 5;
  /** Windows per second over the whole fleet; undefined = unlimited. */
  rateLimitPerS?: number | undefined;
  maxInflightPerDevice?: number;
  signal?: AbortSignal;
  /** Progress for a person: one line when the first window of the run is published. */
  log?: (message: string) => void;
}

export interface FleetSimulatorResult {
  devices: number;
  /** Distinct windows published (a re-send is not counted again). */
  published: number;
  acked: number;
  /** Published but not acked when the simulator stopped (a stop does not wait for them); 0 after a complete --count run. */
  unacked: number;
  /** Re-publications of windows whose publish had failed (the connection dropped before MQTT.js stored them). */
  retried: number;
  reconnects: number;
  durationMs: number;
}

class FatalConnectError extends Error {
  constructor(deviceId: string, message: string) {
    super(`${deviceId}: ${message}`);
    this.name = 'FatalConnectError';
  }
}

interface Counters {
  published: number;
  acked: number;
  unacked: number;
  retried: number;
  reconnects: number;
}

/**
 * The promise's value, or `stopped` as soon as the signal aborts (at once if it has). The abort listener is removed
 * when the promise wins, so a long run does not pile one listener per window onto the signal.
 */
function unlessStopped<T, S>(promise: Promise<T>, signal: AbortSignal, stopped: S): Promise<T | S> {
  if (signal.aborted) return Promise.resolve(stopped);
  return new Promise<T | S>((resolve, reject) => {
    const onAbort = (): void => resolve(stopped);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runFleetSimulator(options: FleetSimulatorOptions): Promise<FleetSimulatorResult> {
  const started = performance.now();
  const counters: Counters = { published: 0, acked: 0, unacked: 0, retried: 0, reconnects: 0 };
  const limiter = options.rateLimitPerS !== undefined ? new RateLimiter(options.rateLimitPerS) : null;
  const fatal = new AbortController();
  // Every device waits on these signals (a few listeners each); the default limit of 10 would warn.
  setMaxListeners(0, fatal.signal, ...(options.signal !== undefined ? [options.signal] : []));
  const devices = Array.from({ length: options.devices }, (_, offset) => offset + 1);
  const results = await Promise.allSettled(devices.map((index) => runDevice(index, options, counters, limiter, fatal)));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return { devices: options.devices, ...counters, durationMs: Math.round(performance.now() - started) };
}

async function runDevice(
  index: number,
  options: FleetSimulatorOptions,
  counters: Counters,
  limiter: RateLimiter | null,
  fatal: AbortController,
): Promise<void> {
  const deviceId = simDeviceId(options.devicePrefix, index);
  const topic = (kind: 'status' | 'hello' | 'window') => deviceTopic(options.topicPrefix, options.fleet, deviceId, kind);
  const password = options.passwords?.get(deviceId) ?? options.password;
  const username = options.passwords?.has(deviceId) ? deviceId : options.username;
  const clientOptions: IClientOptions = {
    // The device id itself: the embedded broker accepts only `<device id>` or `<device id>:<suffix>` (MQTT.md).
    clientId: deviceId,
    clean: false,
    protocolVersion: options.protocolVersion,
    reconnectPeriod: 0,
    keepalive: SIM_KEEPALIVE_S,
    queueQoSZero: false,
    will: { topic: topic('status'), payload: Buffer.from(STATUS_OFFLINE), qos: 1, retain: true },
    ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: SIM_SESSION_EXPIRY_S } } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
  const client: MqttClient = connect(options.url, clientOptions);
  const backoff = new Backoff(MQTT_RECONNECT_BACKOFF);
  let reconnectTimer: NodeJS.Timeout | null = null;
  let ending = false;
  let fatalError: Error | null = null;

  const stopSignal = AbortSignal.any([fatal.signal, ...(options.signal !== undefined ? [options.signal] : [])]);
  const slots = new Slots(options.maxInflightPerDevice ?? SIM_MAX_INFLIGHT_PER_DEVICE);
  /** The device's queue: windows published and not yet acked, by seq (each holds a slot until acked). */
  const unacked = new Map<number, string>();
  /** Windows whose publish failed, re-published on the next connect (or after a backoff if still connected). */
  let retries: number[] = [];
  const retryBackoff = new Backoff(MQTT_RECONNECT_BACKOFF);
  let retryTimer: NodeJS.Timeout | null = null;
  const stopped = (): boolean => ending || stopSignal.aborted || fatalError !== null;

  const send = (seq: number): void => {
    const payload = unacked.get(seq);
    if (payload === undefined || stopped()) return;
    client.publish(topic('window'), payload, { qos: 1 }, (error) => {
      if (!unacked.has(seq)) return; // acked already through another copy
      if (!error) {
        unacked.delete(seq);
        counters.acked += 1;
        retryBackoff.reset();
        slots.release();
        return;
      }
      if (stopped()) return; // counted as unacked when the device stops
      retries.push(seq);
      // Usually the connection is gone and the next connect re-sends; if not, wait a backoff so that an error that
      // repeats at once cannot spin.
      if (client.connected && retryTimer === null) retryTimer = setTimeout(flushRetries, retryBackoff.nextDelayMs());
    });
  };
  const flushRetries = (): void => {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    const due = retries;
    retries = [];
    for (const seq of due) {
      if (!unacked.has(seq)) continue;
      counters.retried += 1;
      send(seq);
    }
  };

  client.on('connect', () => {
    backoff.reset();
    client.publish(topic('status'), STATUS_ONLINE, { qos: 1, retain: true });
    client.publish(topic('hello'), JSON.stringify({ v: 1, type: 'hello', board: 'sim-node', firmware: 'sim-1.0' }), { qos: 1 });
    flushRetries();
  });
  client.on('error', (error) => {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' && FATAL_CONNACK_CODES.has(code)) {
      fatalError = new FatalConnectError(deviceId, error.message);
      fatal.abort();
    }
  });
  client.on('close', () => {
    if (ending || fatalError !== null || reconnectTimer !== null) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      if (ending || fatalError !== null) return;
      counters.reconnects += 1;
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, backoff.nextDelayMs());
  });

  // Devices start out of phase, as a real fleet does.
  if (options.intervalMs > 0) await abortableSleep(Math.floor(options.intervalMs * ((index * 0.618_034) % 1)), stopSignal);
  const end = options.count === undefined ? Number.POSITIVE_INFINITY : options.firstSeq + options.count;
  for (let seq = options.firstSeq; seq < end && !stopSignal.aborted; seq += 1) {
    if (options.intervalMs > 0 && seq > options.firstSeq) await abortableSleep(options.intervalMs, stopSignal);
    // Both waits can be long (a full window of unacked publishes to an unreachable broker; a low fleet-wide rate):
    // a stop ends them.
    if (limiter !== null) await unlessStopped(limiter.take(), stopSignal, undefined);
    if (stopSignal.aborted) break;
    const acquired = await unlessStopped(
      slots.acquire().then(() => true),
      stopSignal,
      false,
    );
    if (stopSignal.aborted) {
      if (acquired) slots.release();
      break;
    }
    const startMs = options.intervalMs > 0 ? Date.now() - options.windowMs : options.epochMs + seq * options.windowMs;
    unacked.set(seq, JSON.stringify(windowPayload(index, seq, startMs, options.windowMs)));
    counters.published += 1;
    if (counters.published === 1)
      options.log?.(`simulate fleet: publishing windows of ${options.devices} device(s) to ${options.url}; Ctrl-C stops and prints the summary`);
    send(seq);
  }
  // A --count run waits for its last acks; a stop (the user's signal or another device's fatal error) wins over that
  // wait, or an unreachable broker would hold the first Ctrl-C / SIGTERM hostage.
  if (!stopSignal.aborted) await unlessStopped(slots.idle(), stopSignal, undefined);
  ending = true;
  counters.unacked += unacked.size;
  if (reconnectTimer !== null) clearTimeout(reconnectTimer);
  if (retryTimer !== null) clearTimeout(retryTimer);
  if (fatalError === null && client.connected) {
    await Promise.race([
      client.publishAsync(topic('status'), STATUS_OFFLINE, { qos: 1, retain: true }).catch(() => undefined),
      abortableSleep(SIM_STOP_GRACE_MS, undefined),
    ]);
  }
  // Unacked windows are not waited for once stopped: with no broker their acks would never come.
  await client.endAsync(fatalError !== null || stopSignal.aborted || !client.connected);
  if (fatalError !== null) throw fatalError;
}
