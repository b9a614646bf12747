/** The MQTT options of serve: embedded broker, external broker or off; named defaults. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import {
  DEFAULT_EMBEDDED_BROKER_HOST,
  DEFAULT_EMBEDDED_BROKER_PORT,
  DEFAULT_EMBEDDED_TLS_PORT,
  loadMqttConfig,
  redactUrl,
} from '../../../src/server/layers/mqtt-config.js';
describe('MQTT config', () => {
  it('embedded broker by default, external with a URL, off with port 0', () => {
    expect(loadMqttConfig({}, '/d')).toEqual({
      prefix: 'tinyml',
      mode: { kind: 'embedded', port: 1883, portExplicit: false, host: '0.0.0.0', tls: undefined },
    });
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
      kind: 'embedded',
      port: DEFAULT_EMBEDDED_BROKER_PORT,
      portExplicit: false,
      host: DEFAULT_EMBEDDED_BROKER_HOST,
      tls: { port: DEFAULT_EMBEDDED_TLS_PORT, certFile: 'c.pem', keyFile: 'k.pem' },
    });
  });
});
