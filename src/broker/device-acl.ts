/** Pure ACL of the embedded broker: a device publishes and subscribes only under its own topics. */
import { parseDeviceTopic, type DeviceTopic } from '../ingest/mqtt/topics.js';

export interface DeviceIdentity {
  deviceId: string;
  /** Fleet the credential is bound to; null = any fleet level. */
  fleet: string | null;
}

/** Separates a device id from the suffix of an extra connection of the same device (`node-17:diag`). */
export const CLIENT_ID_SEPARATOR = ':';
/** A client id suffix: the device-id alphabet, short enough for MQTT 3.1.1 brokers' usual limits. */
const CLIENT_ID_SUFFIX_PATTERN = /^[A-Za-z0-9_.-]{1,63}$/;

/**
 * The client id rule of the embedded broker: a device connects as `<device id>` or `<device id>:<suffix>`. A broker
 * drops the older connection of a client id that connects again (MQTT-3.1.4-2) and hands over its session; tying the
 * id to the authenticated device means only the device itself can do that to its own connection.
 */
export function isClientIdOfDevice(deviceId: string, clientId: string): boolean {
  if (clientId === deviceId) return true;
  const prefix = `${deviceId}${CLIENT_ID_SEPARATOR}`;
  return clientId.startsWith(prefix) && CLIENT_ID_SUFFIX_PATTERN.test(clientId.slice(prefix.length));
}

export type PublishDecision = { allowed: true; topic: DeviceTopic } | { allowed: false; reason: 'acl' | 'bad_topic' };

export function authorizeDevicePublish(identity: DeviceIdentity, prefix: string, topic: string): PublishDecision {
  const parsed = parseDeviceTopic(prefix, topic);
  if (parsed === null) return { allowed: false, reason: 'bad_topic' };
  if (parsed.deviceId !== identity.deviceId) return { allowed: false, reason: 'acl' };
  if (identity.fleet !== null && parsed.fleet !== identity.fleet) return { allowed: false, reason: 'acl' };
  return { allowed: true, topic: parsed };
}

/** A device may subscribe to `<prefix>/<fleet or +>/<own id>/<kind, + or #>` (e.g. for future downlink topics). */
export function authorizeDeviceSubscribe(identity: DeviceIdentity, prefix: string, filter: string): boolean {
  if (!filter.startsWith(`${prefix}/`)) return false;
  const levels = filter.slice(prefix.length + 1).split('/');
  if (levels.length !== 3) return false;
  const [fleet, deviceId, kind] = levels as [string, string, string];
  if (deviceId !== identity.deviceId) return false;
  if (identity.fleet !== null ? fleet !== identity.fleet && fleet !== '+' : fleet.includes('#')) return false;
  return kind === '+' || kind === '#' || /^[A-Za-z0-9_.-]+$/.test(kind);
}
