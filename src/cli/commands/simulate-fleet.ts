/** `simulate fleet`: publish realistic windows of N simulated devices to an MQTT broker (demos, load, tests). */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../domain/errors.js';
import { DEFAULT_EMBEDDED_BROKER_PORT } from '../../server/layers/mqtt-config.js';
import { DEFAULT_MQTT_PREFIX } from '../../ingest/mqtt/topics.js';
import { runFleetSimulator, SIM_MAX_INFLIGHT_PER_DEVICE } from '../../sim/fleet/fleet-simulator.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { durationMsOption, integerOption } from '../options.js';

/** Window length when windows are published back to back (--interval 0): the firmware default of 10 s. */
export const DEFAULT_SIM_WINDOW_MS = 10_000;
/** start_ms of seq 0 in fast mode: 2025-11-24T16:00:00Z, the example of SPEC.md, so runs are reproducible. */
export const DEFAULT_SIM_EPOCH_MS = 1_764_000_000_000;
/** Broker when --url is absent: the embedded broker of "serve" on this machine. */
export const DEFAULT_SIM_BROKER_URL = `mqtt://localhost:${DEFAULT_EMBEDDED_BROKER_PORT}`;

const NOTES = `Each device re-sends its unacknowledged windows until they are acked (bounded by its in-flight window, not by time).
Prints a JSON summary {devices, published, acked, unacked, retried, reconnects, durationMs} when done (also on
Ctrl-C: unacked = published but not acked when it stopped).`;

/** URL schemes the mqtt client connects to. */
const BROKER_URL_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ssl:', 'ws:', 'wss:']);

function brokerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--url must be a broker URL such as ${DEFAULT_SIM_BROKER_URL}, got "${text}"`);
  }
  if (!BROKER_URL_PROTOCOLS.has(url.protocol) || url.hostname === '') {
    throw new ConfigError(`--url must be an mqtt://, mqtts://, ws:// or wss:// URL with a host, got "${text}"`);
  }
  return text;
}

function readCredentials(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`--credentials ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--credentials ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`${file}: expected a JSON object {"<device id>": "<password>"}`);
  const passwords = new Map<string, string>();
  for (const [deviceId, password] of Object.entries(parsed)) {
    if (typeof password !== 'string') throw new ConfigError(`${file}: the password of ${deviceId} must be a string`);
    passwords.set(deviceId, password);
  }
  return passwords;
}

export const simulateFleetCommand: CliCommand = defineCommand({
  name: 'simulate fleet',
  options: {
    url: { type: 'string', value: '<url>', default: `${DEFAULT_SIM_BROKER_URL}, the embedded broker of "serve"`, help: 'broker' },
    devices: { type: 'string', value: '<n>', default: '10', help: 'simulated devices, one connection each' },
    interval: { type: 'string', value: '<d>', default: '10s', help: "time between a device's windows, e.g. 10s, 500ms; 0 = as fast as acks allow" },
    window: { type: 'string', value: '<d>', default: 'the interval, or 10s when the interval is 0', help: 'length of each window' },
    count: { type: 'string', value: '<m>', default: 'run until Ctrl-C', help: 'windows per device, then exit' },
    'max-inflight': {
      type: 'string',
      value: '<n>',
      default: String(SIM_MAX_INFLIGHT_PER_DEVICE),
      help: 'unacknowledged windows per device (its queue; the broker may allow fewer)',
    },
    'rate-limit': { type: 'string', value: '<n>', help: 'windows per second over the whole fleet' },
    'first-seq': { type: 'string', value: '<n>', default: '0', help: "sequence number of each device's first window" },
    fleet: { type: 'string', value: '<name>', default: 'sim', help: 'fleet topic level' },
    'device-prefix': { type: 'string', value: '<p>', default: 'sim', help: 'device ids are <p>-0001, <p>-0002, …' },
    prefix: { type: 'string', value: '<p>', default: DEFAULT_MQTT_PREFIX, help: 'topic prefix' },
    username: { type: 'string', value: '<name>', help: 'one login for every device (external brokers)' },
    password: { type: 'string', value: '<secret>', help: 'its password' },
    credentials: { type: 'string', value: '<file>', help: 'JSON {"<device id>": "<password>"} from "tinyml-footprint mqtt-credentials"' },
    protocol: { type: 'string', value: '<4|5>', default: '4', help: 'MQTT 3.1.1 (the embedded broker speaks it) or 5' },
  },
  notes: NOTES,
  async run({ values }) {
    const intervalMs = durationMsOption('interval', values.interval ?? '10s')!;
    const windowMs = values.window !== undefined ? durationMsOption('window', values.window)! : intervalMs > 0 ? intervalMs : DEFAULT_SIM_WINDOW_MS;
    // Interval mode stamps each window as ending now: a window longer than the interval would overlap the last one,
    // and the service refuses overlapping windows (SPEC.md §7.3).
    if (intervalMs > 0 && windowMs > intervalMs)
      throw new ConfigError(`--window (${windowMs} ms) must not exceed --interval (${intervalMs} ms): consecutive windows would overlap`);
    const protocol = values.protocol ?? '4';
    if (protocol !== '4' && protocol !== '5') throw new ConfigError('--protocol must be 4 or 5');
    const url = brokerUrl(values.url ?? DEFAULT_SIM_BROKER_URL);
    const passwords = values.credentials !== undefined ? readCredentials(values.credentials) : undefined;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await runFleetSimulator({
        url,
        devices: integerOption('devices', values.devices, 1) ?? 10,
        count: integerOption('count', values.count, 1),
        intervalMs,
        windowMs,
        firstSeq: integerOption('first-seq', values['first-seq'], 0) ?? 0,
        epochMs: DEFAULT_SIM_EPOCH_MS,
        fleet: values.fleet ?? 'sim',
        devicePrefix: values['device-prefix'] ?? 'sim',
        topicPrefix: values.prefix ?? DEFAULT_MQTT_PREFIX,
        username: values.username,
        password: values.password,
        passwords,
        protocolVersion: protocol === '5' ? 5 : 4,
        rateLimitPerS: integerOption('rate-limit', values['rate-limit'], 1),
        maxInflightPerDevice: integerOption('max-inflight', values['max-inflight'], 1) ?? SIM_MAX_INFLIGHT_PER_DEVICE,
        signal: controller.signal,
        log: (message) => process.stderr.write(`${message}\n`),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
