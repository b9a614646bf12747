/** What firmware-protocol/MQTT.md promises, read from the document itself so tests hold it to its word. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const MQTT_MD = path.resolve('firmware-protocol/MQTT.md');

/** The reasons of the `rejected` list in MQTT.md's Health section (`rejected` by reason (`a`, `b`, …)). */
export function documentedRejectReasons(): string[] {
  const text = readFileSync(MQTT_MD, 'utf8');
  const match = /`rejected` by reason\s*\(([^)]*)\)/.exec(text);
  if (match === null) throw new Error('MQTT.md has no "`rejected` by reason (…)" list');
  return [...match[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
}
