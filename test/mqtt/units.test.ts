/** Pure parts of the MQTT layer: topics, backoff, micro-batcher, profile generator, passwords, ACL, config. */
import { describe, expect, it } from 'vitest';
import { authorizeDevicePublish, authorizeDeviceSubscribe } from '../../src/broker/device-acl.js';
import { hashPassword, verifyPassword } from '../../src/broker/password-hash.js';
import { ConfigError } from '../../src/domain/errors.js';
import { MicroBatcher, OverloadError } from '../../src/ingest/mqtt/micro-batcher.js';
import { DEFAULT_EMBEDDED_BROKER_HOST, DEFAULT_EMBEDDED_BROKER_PORT, DEFAULT_EMBEDDED_TLS_PORT, loadMqttConfig, redactUrl } from '../../src/ingest/mqtt/mqtt-config.js';
import { deviceProfile, expectedTotals, simDeviceId, windowPayload } from '../../src/ingest/mqtt/sim/fleet-profile.js';
import { parseDeviceTopic, subscriptionFilters } from '../../src/ingest/mqtt/topics.js';
import { parseJsonMessage } from '../../src/protocol/json-message.js';
import { Backoff } from '../../src/util/backoff.js';

describe('topics', () => {
  it('parses <prefix>/<fleet>/<device>/<kind> and rejects anything else', () => {
    expect(parseDeviceTopic('tinyml', 'tinyml/lab/node-1/window')).toEqual({ fleet: 'lab', deviceId: 'node-1', kind: 'window' });
    expect(parseDeviceTopic('a/b', 'a/b/f/d/status')).toEqual({ fleet: 'f', deviceId: 'd', kind: 'status' });
    for (const topic of ['tinyml/lab/node-1', 'tinyml/lab/node-1/window/x', 'other/lab/n/window', 'tinyml/lab/n/reboot', 'tinyml/l ab/n/window', 'tinyml//n/window']) {
      expect(parseDeviceTopic('tinyml', topic)).toBeNull();
    }
  });
  it('subscribes to hello, window, sample and status, optionally through a share group', () => {
    expect(subscriptionFilters('tinyml', undefined)).toEqual(['tinyml/+/+/hello', 'tinyml/+/+/window', 'tinyml/+/+/sample', 'tinyml/+/+/status']);
    expect(subscriptionFilters('tinyml', 'g')[1]).toBe('$share/g/tinyml/+/+/window');
  });
});

describe('Backoff', () => {
  it('grows exponentially to the cap with full jitter, and resets', () => {
    const ceilings = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 'full' }, () => 0.999_999);
    expect(Array.from({ length: 6 }, () => ceilings.nextDelayMs())).toEqual([99, 199, 399, 799, 999, 999]);
    ceilings.reset();
    expect(ceilings.nextDelayMs()).toBe(99);
    const floor = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 'full' }, () => 0);
    expect(floor.nextDelayMs()).toBe(0);
  });
});

describe('MicroBatcher', () => {
  it('flushes items that arrive together as one batch and settles each after its flush', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((item) => item * 10);
    }, { lingerMs: 1, maxBatchItems: 3 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.add(item)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    await batcher.close();
  });
  it('rejects beyond maxPending with OverloadError and rejects a failed batch as a whole', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number, number>(async (items) => {
      if (fail) throw new Error('disk full');
      return [...items];
    }, { lingerMs: 1, maxPendingItems: 2 });
    const first = batcher.add(1);
    const second = batcher.add(2);
    await expect(batcher.add(3)).rejects.toBeInstanceOf(OverloadError);
    await expect(first).rejects.toThrow('disk full');
    await expect(second).rejects.toThrow('disk full');
    fail = false;
    await expect(batcher.add(4)).resolves.toBe(4);
    await batcher.close();
    await expect(batcher.add(5)).rejects.toThrow('closed');
  });
});

describe('fleet profile', () => {
  it('is deterministic, valid for the JSON parser, and its totals are the sums of its windows', () => {
    expect(simDeviceId('sim', 7)).toBe('sim-0007');
    const window = windowPayload(3, 11, 1_764_000_000_000, 10_000);
    expect(windowPayload(3, 11, 1_764_000_000_000, 10_000)).toEqual(window);
    expect(parseJsonMessage(JSON.stringify(window))).toMatchObject({ type: 'window', seq: 11, energyUj: window.energy_uj });
    const totals = expectedTotals(3, 0, 3, 10_000);
    const sum = [0, 1, 2].reduce((acc, seq) => acc + windowPayload(3, seq, 0, 10_000).energy_uj, 0);
    expect(totals.energyUj).toBe(sum);
    expect(totals.windows).toBe(3);
    expect(totals.samples).toBe(3_000);
  });
  it('varies duty cycles across devices and windows', () => {
    const duties = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((index) => deviceProfile(index).dutyCycle));
    expect(duties.size).toBe(8);
    const energies = new Set([0, 1, 2, 3].map((seq) => windowPayload(1, seq, 0, 10_000).energy_uj));
    expect(energies.size).toBe(4);
  });
});

describe('passwords', () => {
  it('scrypt hashes verify the right password only and never contain it', async () => {
    const hash = await hashPassword('s3cret-password');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain('s3cret');
    expect(await verifyPassword('s3cret-password', hash)).toBe(true);
    expect(await verifyPassword('s3cret-passwore', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});

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

describe('MQTT config', () => {
  it('embedded broker by default, external with a URL, off with port 0', () => {
    expect(loadMqttConfig({}, '/d')).toEqual({ prefix: 'tinyml', mode: { kind: 'embedded', port: 1883, portExplicit: false, host: '0.0.0.0', tls: undefined } });
    expect(loadMqttConfig({ 'mqtt-port': '0' }, '/d').mode).toEqual({ kind: 'off' });
    const external = loadMqttConfig({ 'mqtt-url': 'mqtt://u:p@h:1883', 'mqtt-share': 'g' }, '/d').mode;
    expect(external).toMatchObject({ kind: 'external', shareGroup: 'g' });
    if (external.kind !== 'external') throw new Error('expected external');
    expect(external.clientId).toMatch(/^tmf-[0-9a-f]{19}$/);
    expect(loadMqttConfig({ 'mqtt-url': 'mqtt://h' }, '/d').mode).toMatchObject({ clientId: external.clientId });
    expect(loadMqttConfig({ 'mqtt-url': 'mqtt://h' }, '/other').mode).not.toMatchObject({ clientId: external.clientId });
    expect(() => loadMqttConfig({ 'mqtt-prefix': 'a/#' }, '/d')).toThrow(ConfigError);
    expect(() => loadMqttConfig({ 'mqtt-url': 'http://h' }, '/d')).toThrow(ConfigError);
    expect(() => loadMqttConfig({ 'mqtt-tls-cert': 'c.pem' }, '/d')).toThrow(ConfigError);
    expect(redactUrl('mqtt://user:secret@host:1883')).toBe('mqtt://host:1883');
  });
  it('defaults are named: MQTT 1883, MQTT over TLS 8883, every interface', () => {
    expect([DEFAULT_EMBEDDED_BROKER_PORT, DEFAULT_EMBEDDED_TLS_PORT, DEFAULT_EMBEDDED_BROKER_HOST]).toEqual([1883, 8883, '0.0.0.0']);
    expect(loadMqttConfig({ 'mqtt-tls-cert': 'c.pem', 'mqtt-tls-key': 'k.pem' }, '/d').mode).toEqual({
      kind: 'embedded', port: DEFAULT_EMBEDDED_BROKER_PORT, portExplicit: false, host: DEFAULT_EMBEDDED_BROKER_HOST,
      tls: { port: DEFAULT_EMBEDDED_TLS_PORT, certFile: 'c.pem', keyFile: 'k.pem' },
    });
  });
});
