/**
 * The one place that reaches into MQTT.js's internals. The reader acknowledges a QoS 1 message only after it is
 * stored, but MQTT.js's public API sends the PUBACK when `handleMessage` calls back and has no way to send one later.
 * So the reader defers that callback's ack and writes the PUBACK itself through the client's private packet writer
 * `_sendPacket` (the function MQTT.js's own publish handler uses for it). It is private: `mqtt` is pinned to an exact
 * version in package.json, `assertPubackWriter` fails loudly at connect time if a new version drops it, and
 * test/ingest/mqtt/reader-puback-order.int.test.ts checks the PUBACKs on the wire against a real Mosquitto.
 */
import type { MqttClient } from 'mqtt';

/** MQTT 5 PUBACK reason code 0: success. */
export const PUBACK_SUCCESS = 0;

interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode?: number }, cb?: () => void): void;
}

function writerOf(client: MqttClient): PacketWriter {
  return client as unknown as PacketWriter;
}

/** Throws unless this MQTT.js still has the private writer the reader depends on. */
export function assertPubackWriter(client: MqttClient): void {
  if (typeof writerOf(client)._sendPacket !== 'function') {
    throw new Error(
      'this mqtt package has no MqttClient._sendPacket: the reader cannot send PUBACKs after storing; install the version pinned in package.json',
    );
  }
}

/** Write a PUBACK for `messageId` on the client's current connection. */
export function sendPuback(client: MqttClient, messageId: number): void {
  writerOf(client)._sendPacket({ cmd: 'puback', messageId, reasonCode: PUBACK_SUCCESS });
}
