/** MQTT topics: the <prefix>/<fleet>/<device>/<kind> grammar and the subscription filters. */
import { describe, expect, it } from 'vitest';
import { parseDeviceTopic, subscriptionFilters } from '../../../src/ingest/mqtt/topics.js';

describe('topics', () => {
  it('parses <prefix>/<fleet>/<device>/<kind> and rejects anything else', () => {
    expect(parseDeviceTopic('tinyml', 'tinyml/lab/node-1/window')).toEqual({ fleet: 'lab', deviceId: 'node-1', kind: 'window' });
    expect(parseDeviceTopic('a/b', 'a/b/f/d/status')).toEqual({ fleet: 'f', deviceId: 'd', kind: 'status' });
    for (const topic of [
      'tinyml/lab/node-1',
      'tinyml/lab/node-1/window/x',
      'other/lab/n/window',
      'tinyml/lab/n/reboot',
      'tinyml/l ab/n/window',
      'tinyml//n/window',
    ]) {
      expect(parseDeviceTopic('tinyml', topic)).toBeNull();
    }
  });
  it('subscribes to hello, window, sample and status, optionally through a share group', () => {
    expect(subscriptionFilters('tinyml', undefined)).toEqual(['tinyml/+/+/hello', 'tinyml/+/+/window', 'tinyml/+/+/sample', 'tinyml/+/+/status']);
    expect(subscriptionFilters('tinyml', 'g')[1]).toBe('$share/g/tinyml/+/+/window');
  });
});
