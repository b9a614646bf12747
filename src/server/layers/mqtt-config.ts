/** The MQTT layer's config block: an embedded broker (default), an external broker to read, or neither. Pure: no I/O. */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { defineConfigBlock, portOption } from '../../config/config-block.js';
import type { OptionValues } from '../../config/option-table.js';
import { ConfigError } from '../../domain/errors.js';
import { isDeviceId } from '../../protocol/validate.js';
import { DEFAULT_MQTT_PREFIX, isValidPrefix } from '../../ingest/mqtt/topics.js';

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
  | {
      kind: 'external';
      url: string;
      clientId: string;
      shareGroup: string | undefined;
      username: string | undefined;
      password: string | undefined;
      caFile: string | undefined;
    }
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

/**
 * A fixed client id per service instance, so its persistent session survives restarts, and unique per data
 * directory, so two instances never kick each other off (MQTT.js #1585): a hash of host name and data directory.
 */
export function defaultClientId(dataDir: string): string {
  const digest = createHash('sha256').update(`${os.hostname()}\0${dataDir}`).digest('hex');
  return `tmf-${digest}`.slice(0, MAX_GENERATED_CLIENT_ID_CHARS);
}

/** An option's text, or undefined when absent or empty (an empty environment variable is no setting). */
function text(value: string | undefined): string | undefined {
  return value !== undefined && value.length > 0 ? value : undefined;
}

export const mqttConfigBlock = defineConfigBlock({
  name: 'mqtt',
  title: 'MQTT',
  options: {
    'mqtt-url': {
      type: 'string',
      value: '<url>',
      env: 'TINYML_MQTT_URL',
      default: 'none: embedded broker',
      help: 'external MQTT broker to read; without it the embedded broker starts',
    },
    'mqtt-port': {
      type: 'string',
      value: '<n>',
      env: 'TINYML_MQTT_PORT',
      default: String(DEFAULT_EMBEDDED_BROKER_PORT),
      help: 'embedded broker port (0: off)',
    },
    'mqtt-host': { type: 'string', value: '<addr>', env: 'TINYML_MQTT_HOST', default: DEFAULT_EMBEDDED_BROKER_HOST, help: 'embedded broker listen address' },
    'mqtt-tls-cert': {
      type: 'string',
      value: '<file>',
      env: 'TINYML_MQTT_TLS_CERT',
      default: 'none',
      help: 'certificate (PEM): the embedded broker also serves mqtts, with --mqtt-tls-key',
    },
    'mqtt-tls-key': { type: 'string', value: '<file>', env: 'TINYML_MQTT_TLS_KEY', default: 'none', help: 'private key (PEM) of --mqtt-tls-cert' },
    'mqtt-tls-port': {
      type: 'string',
      value: '<n>',
      env: 'TINYML_MQTT_TLS_PORT',
      default: String(DEFAULT_EMBEDDED_TLS_PORT),
      help: 'embedded broker port of mqtts',
    },
    'mqtt-prefix': { type: 'string', value: '<p>', env: 'TINYML_MQTT_PREFIX', default: DEFAULT_MQTT_PREFIX, help: 'first topic level(s)' },
    'mqtt-share': {
      type: 'string',
      value: '<group>',
      env: 'TINYML_MQTT_SHARE',
      default: 'none',
      help: 'MQTT 5 shared-subscription group at an external broker, for several instances',
    },
    'mqtt-client-id': {
      type: 'string',
      value: '<id>',
      env: 'TINYML_MQTT_CLIENT_ID',
      default: 'derived from host name and data directory',
      help: 'fixed client id of the persistent session at an external broker; unique per instance',
    },
    'mqtt-ca': { type: 'string', value: '<file>', env: 'TINYML_MQTT_CA', default: 'none', help: 'CA bundle for an mqtts:// broker' },
    'mqtt-username': { type: 'string', value: '<name>', envOnly: true, env: 'TINYML_MQTT_USERNAME', default: 'none', help: 'login at an external broker' },
    'mqtt-password': { type: 'string', value: '<secret>', envOnly: true, env: 'TINYML_MQTT_PASSWORD', default: 'none', help: 'its password' },
  },
  parse(raw, context): MqttLayerConfig {
    const prefix = text(raw['mqtt-prefix']) ?? DEFAULT_MQTT_PREFIX;
    if (!isValidPrefix(prefix)) throw new ConfigError(`MQTT prefix "${prefix}" must be topic levels of [A-Za-z0-9_.-] without wildcards`);
    const url = text(raw['mqtt-url']);
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
      const shareGroup = text(raw['mqtt-share']);
      if (shareGroup !== undefined && !isDeviceId(shareGroup)) throw new ConfigError(`MQTT share group "${shareGroup}" must match [A-Za-z0-9_.-]{1,64}`);
      const clientId = text(raw['mqtt-client-id']) ?? defaultClientId(context.dataDir);
      return {
        prefix,
        mode: {
          kind: 'external',
          url,
          clientId,
          shareGroup,
          username: text(raw['mqtt-username']),
          password: text(raw['mqtt-password']),
          caFile: text(raw['mqtt-ca']),
        },
      };
    }
    const brokerPort = portOption(text(raw['mqtt-port']), DEFAULT_EMBEDDED_BROKER_PORT, 'MQTT port');
    if (brokerPort === 0) return { prefix, mode: { kind: 'off' } };
    const certFile = text(raw['mqtt-tls-cert']);
    const keyFile = text(raw['mqtt-tls-key']);
    if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('--mqtt-tls-cert and --mqtt-tls-key go together');
    const tlsPort = portOption(text(raw['mqtt-tls-port']), DEFAULT_EMBEDDED_TLS_PORT, 'MQTT TLS port');
    return {
      prefix,
      mode: {
        kind: 'embedded',
        port: brokerPort,
        portExplicit: text(raw['mqtt-port']) !== undefined,
        host: text(raw['mqtt-host']) ?? DEFAULT_EMBEDDED_BROKER_HOST,
        tls: certFile !== undefined && keyFile !== undefined ? { port: tlsPort, certFile, keyFile } : undefined,
      },
    };
  },
});

export type MqttRawOptions = OptionValues<typeof mqttConfigBlock.options>;

/** The block's parser on the options given (the others absent), e.g. `loadMqttConfig({ 'mqtt-port': '0' }, dataDir)`. */
export function loadMqttConfig(given: Partial<MqttRawOptions>, dataDir: string): MqttLayerConfig {
  const raw = Object.fromEntries(Object.keys(mqttConfigBlock.options).map((name) => [name, given[name as keyof MqttRawOptions]])) as MqttRawOptions;
  return mqttConfigBlock.parse(raw, { dataDir });
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
