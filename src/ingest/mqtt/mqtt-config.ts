/** The MQTT layer's options, parsed once at startup from ServeConfig.extra (flags/env), with no I/O. */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { ConfigError } from '../../domain/errors.js';
import { isDeviceId } from '../../protocol/validate.js';
import { DEFAULT_MQTT_PREFIX, isValidPrefix } from './topics.js';

/** Standard MQTT port; `--mqtt-port 0` turns the embedded broker off. */
export const DEFAULT_EMBEDDED_BROKER_PORT = 1883;
/** Standard port of MQTT over TLS (IANA "secure-mqtt"), used when a certificate is given without --mqtt-tls-port. */
export const DEFAULT_EMBEDDED_TLS_PORT = 8883;
/** Interface the embedded broker listens on by default: every interface, since devices reach it over the network. */
export const DEFAULT_EMBEDDED_BROKER_HOST = '0.0.0.0';
/** Longest MQTT client id we generate: 23 is the MQTT 3.1.1 guaranteed minimum every broker accepts. */
export const MAX_GENERATED_CLIENT_ID_CHARS = 23;

export type MqttMode =
  | { kind: 'off' }
  | { kind: 'external'; url: string; clientId: string; shareGroup: string | undefined; username: string | undefined; password: string | undefined; caFile: string | undefined }
  | {
      kind: 'embedded';
      port: number;
      /** False when the port is the default: then a port already in use (a system Mosquitto) only disables the broker. */
      portExplicit: boolean;
      host: string;
      tls: { port: number; certFile: string; keyFile: string } | undefined;
    };

export interface MqttLayerConfig {
  prefix: string;
  mode: MqttMode;
}

type Extra = Record<string, string | boolean | string[] | undefined>;

function text(extra: Extra, key: string): string | undefined {
  const value = extra[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function port(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new ConfigError(`${what} must be an integer port 0–65535, got "${value}"`);
  return parsed;
}

/**
 * A fixed client id per service instance, so its persistent session survives restarts, and unique per data
 * directory, so two instances never kick each other off (MQTT.js #1585): a hash of host name and data directory.
 */
export function defaultClientId(dataDir: string): string {
  const digest = createHash('sha256').update(`${os.hostname()}\0${dataDir}`).digest('hex');
  return `tmf-${digest}`.slice(0, MAX_GENERATED_CLIENT_ID_CHARS);
}

export function loadMqttConfig(extra: Extra, dataDir: string): MqttLayerConfig {
  const prefix = text(extra, 'mqtt-prefix') ?? DEFAULT_MQTT_PREFIX;
  if (!isValidPrefix(prefix)) throw new ConfigError(`MQTT prefix "${prefix}" must be topic levels of [A-Za-z0-9_.-] without wildcards`);
  const url = text(extra, 'mqtt-url');
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`MQTT URL "${url}" is not a URL`);
    }
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'].includes(parsed.protocol)) {
      throw new ConfigError(`MQTT URL "${url}" must use mqtt:, mqtts:, ws: or wss:`);
    }
    const shareGroup = text(extra, 'mqtt-share');
    if (shareGroup !== undefined && !isDeviceId(shareGroup)) throw new ConfigError(`MQTT share group "${shareGroup}" must match [A-Za-z0-9_.-]{1,64}`);
    const clientId = text(extra, 'mqtt-client-id') ?? defaultClientId(dataDir);
    return {
      prefix,
      mode: {
        kind: 'external',
        url,
        clientId,
        shareGroup,
        username: text(extra, 'mqtt-username'),
        password: text(extra, 'mqtt-password'),
        caFile: text(extra, 'mqtt-ca'),
      },
    };
  }
  const brokerPort = port(text(extra, 'mqtt-port'), DEFAULT_EMBEDDED_BROKER_PORT, 'MQTT port');
  if (brokerPort === 0) return { prefix, mode: { kind: 'off' } };
  const certFile = text(extra, 'mqtt-tls-cert');
  const keyFile = text(extra, 'mqtt-tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('--mqtt-tls-cert and --mqtt-tls-key go together');
  const tlsPort = port(text(extra, 'mqtt-tls-port'), DEFAULT_EMBEDDED_TLS_PORT, 'MQTT TLS port');
  return {
    prefix,
    mode: {
      kind: 'embedded',
      port: brokerPort,
      portExplicit: text(extra, 'mqtt-port') !== undefined,
      host: text(extra, 'mqtt-host') ?? DEFAULT_EMBEDDED_BROKER_HOST,
      tls: certFile !== undefined && keyFile !== undefined ? { port: tlsPort, certFile, keyFile } : undefined,
    },
  };
}

/** `mqtt://user:secret@host` → `mqtt://host`, for names shown in health and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
