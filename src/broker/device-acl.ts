/** Pure ACL of the embedded broker: a device publishes and subscribes only under its own topics. */
import { parseDeviceTopic, type DeviceTopic } from '../ingest/mqtt/topics.js';

export interface DeviceIdentity {
  deviceId: string;
  /** Fleet the credential is bound to; null = any fleet level. */
  fleet: string | null;
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
