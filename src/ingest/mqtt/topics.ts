/**
 * The MQTT topic scheme (firmware-protocol/MQTT.md): `<prefix>/<fleet>/<device>/<kind>`.
 * Pure: no I/O. Fleet and device levels follow the device-id rule so they are safe in topics, URLs and file names.
 */
import { isDeviceId } from '../../protocol/validate.js';

/** Default first topic level. */
export const DEFAULT_MQTT_PREFIX = 'tinyml';

export const TOPIC_KINDS = ['hello', 'window', 'sample', 'event', 'status'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** Kinds the service subscribes to. `event` is not stored (inference edges are derived on the device). */
export const SUBSCRIBED_KINDS: readonly TopicKind[] = ['hello', 'window', 'sample', 'status'];

/** Retained payloads of `<…>/status`: `online` on connect, `offline` as the last will. */
export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';

export interface DeviceTopic {
  fleet: string;
  deviceId: string;
  kind: TopicKind;
}

/** Prefix: one or more levels of `[A-Za-z0-9_.-]`, no wildcards, no leading `$`. */
const PREFIX_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

export function deviceTopic(prefix: string, fleet: string, deviceId: string, kind: TopicKind): string {
  return `${prefix}/${fleet}/${deviceId}/${kind}`;
}

/** Parse a topic under `prefix`; null when it is not `<prefix>/<fleet>/<device>/<kind>` with valid levels. */
export function parseDeviceTopic(prefix: string, topic: string): DeviceTopic | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.length !== 3) return null;
  const [fleet, deviceId, kind] = levels as [string, string, string];
  if (!isDeviceId(fleet) || !isDeviceId(deviceId)) return null;
  if (!(TOPIC_KINDS as readonly string[]).includes(kind)) return null;
  return { fleet, deviceId, kind: kind as TopicKind };
}

/** Subscription filters of the reader; with a share group, `$share/<group>/…` so instances split the fleet. */
export function subscriptionFilters(prefix: string, shareGroup: string | undefined): string[] {
  return SUBSCRIBED_KINDS.map((kind) => {
    const filter = `${prefix}/+/+/${kind}`;
    return shareGroup === undefined ? filter : `$share/${shareGroup}/${filter}`;
  });
}
