/**
 * Set `key` in a Map used as a bounded cache (insertion order = recency): the key becomes the newest, and the oldest
 * entries are dropped first so that the map never holds more than `maxEntries`.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  while (map.size >= maxEntries) map.delete(map.keys().next().value!);
  map.set(key, value);
}
