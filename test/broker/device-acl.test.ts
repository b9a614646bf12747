/** The embedded broker's ACL: a device publishes and subscribes only under its own id. */
import { describe, expect, it } from 'vitest';
import { authorizeDevicePublish, authorizeDeviceSubscribe } from '../../src/broker/device-acl.js';

describe('device ACL', () => {
  it('lets a device publish only under its own id (and bound fleet)', () => {
    expect(authorizeDevicePublish({ deviceId: 'a', fleet: null }, 'tinyml', 'tinyml/any/a/window')).toMatchObject({ allowed: true });
    expect(authorizeDevicePublish({ deviceId: 'a', fleet: null }, 'tinyml', 'tinyml/any/b/window')).toEqual({ allowed: false, reason: 'acl' });
    expect(authorizeDevicePublish({ deviceId: 'a', fleet: 'lab' }, 'tinyml', 'tinyml/x/a/window')).toEqual({ allowed: false, reason: 'acl' });
    expect(authorizeDevicePublish({ deviceId: 'a', fleet: null }, 'tinyml', '$SYS/x')).toEqual({ allowed: false, reason: 'bad_topic' });
    expect(authorizeDeviceSubscribe({ deviceId: 'a', fleet: null }, 'tinyml', 'tinyml/+/a/#')).toBe(true);
    expect(authorizeDeviceSubscribe({ deviceId: 'a', fleet: null }, 'tinyml', 'tinyml/+/+/window')).toBe(false);
    expect(authorizeDeviceSubscribe({ deviceId: 'a', fleet: null }, 'tinyml', '#')).toBe(false);
  });
});
