/**
 * The embedded MQTT 3.1.1 broker (aedes) that `serve` starts when no external broker is configured.
 * Exactly once without a loopback client: a window is stored inside aedes's `authorizePublish` hook, and aedes
 * sends the PUBACK only after that hook calls back, so a PUBACK always follows a committed transaction; a crash
 * before it leaves the window unacked and the device re-sends it (stored once, thanks to the (device, seq) key).
 * Devices log in with per-device credentials; the ACL confines each device to its own topics.
 */
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Server } from 'node:net';
import tls from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { MqttMessageProcessor } from '../ingest/mqtt/message-processor.js';
import type { MqttStats } from '../ingest/mqtt/mqtt-stats.js';
import type { PresenceSink } from '../live/device-presence.js';
import type { Logger } from '../obs/logger.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { authorizeDevicePublish, authorizeDeviceSubscribe, CLIENT_ID_SEPARATOR, isClientIdOfDevice, type DeviceIdentity } from './device-acl.js';

/** aedes: ms a new connection has to send CONNECT. */
export const BROKER_CONNECT_TIMEOUT_MS = 10_000;
/** aedes: ms a slow subscriber may block a write before it is dropped (aedes PR #1060). */
export const BROKER_DRAIN_TIMEOUT_MS = 30_000;
/** aedes: offline messages queued per subscriber. Devices do not subscribe to much; keep it small. */
export const BROKER_QUEUE_LIMIT = 100;
/** aedes: longest client id (MQTT 3.1 allows 23; devices may use their 64-char id). */
export const BROKER_MAX_CLIENT_ID_CHARS = 128;
/** CONNACK return code 4 (MQTT 3.1.1): bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;
/** CONNACK return code 2 (MQTT 3.1.1): identifier rejected. */
const IDENTIFIER_REJECTED = 2;

export interface EmbeddedBrokerOptions {
  port: number;
  host: string;
  tls?: { port: number; certFile: string; keyFile: string } | undefined;
  prefix: string;
  processor: MqttMessageProcessor;
  stats: MqttStats;
  verifier: CredentialVerifier;
  /** The broker sees each device's connections: online while one is open, offline when the last one closes. */
  presence?: PresenceSink;
  log: Logger;
}

export interface RunningBroker {
  port: number;
  tlsPort: number | null;
  connectedClients(): number;
  stop(): Promise<void>;
}

function authError(message: string, returnCode: number = BAD_USERNAME_OR_PASSWORD): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<RunningBroker> {
  const { stats, processor, prefix, verifier } = options;
  const identities = new WeakMap<Client, DeviceIdentity>();
  /** Open connections per device (a device may hold `<id>` and `<id>:<suffix>`); bounded by the connections. */
  const openConnections = new Map<string, number>();

  const broker = await Aedes.createBroker({
    connectTimeout: BROKER_CONNECT_TIMEOUT_MS,
    drainTimeout: BROKER_DRAIN_TIMEOUT_MS,
    queueLimit: BROKER_QUEUE_LIMIT,
    maxClientsIdLength: BROKER_MAX_CLIENT_ID_CHARS,
    authenticate(client, username, password, done) {
      verifier.verify(username, password).then(
        (identity) => {
          if (identity === null) {
            stats.reject('bad_credentials');
            done(authError('bad user name or password'), false);
            return;
          }
          // Checked after the password, so only a device with good credentials learns the rule's verdict.
          if (!isClientIdOfDevice(identity.deviceId, client.id)) {
            stats.reject('bad_client_id');
            stats.lastError = `device ${identity.deviceId} refused: client id "${client.id}" is not "${identity.deviceId}" or "${identity.deviceId}${CLIENT_ID_SEPARATOR}<suffix>"`;
            done(authError('identifier rejected', IDENTIFIER_REJECTED), false);
            return;
          }
          identities.set(client, identity);
          done(null, true);
        },
        (error: unknown) => {
          stats.lastError = `credential check failed: ${error instanceof Error ? error.message : String(error)}`;
          done(authError('credential check failed'), false);
        },
      );
    },
    authorizePublish(client, packet, callback) {
      if (client === null) {
        callback(null); // the broker's own messages ($SYS heartbeats)
        return;
      }
      const identity = identities.get(client);
      const decision = identity === undefined ? ({ allowed: false, reason: 'acl' } as const) : authorizeDevicePublish(identity, prefix, packet.topic);
      if (!decision.allowed) {
        // MQTT 3.1.1 cannot NACK a PUBLISH: refusing closes the connection, nothing is acked or forwarded.
        stats.count('messages');
        stats.reject(decision.reason);
        callback(new Error(`not authorized to publish to ${packet.topic}`));
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      // The topic the ACL parsed, and a callback rather than a promise per message: called after the window's commit.
      processor.handleParsed(decision.topic, payload, (outcome) => {
        // Not stored: close the connection without a PUBACK; the device re-sends after reconnecting.
        callback(outcome.ack ? null : new Error(`not stored: ${outcome.error}`));
      });
    },
    authorizeSubscribe(client, subscription, callback) {
      const identity = identities.get(client);
      if (identity === undefined || !authorizeDeviceSubscribe(identity, prefix, subscription.topic)) {
        stats.reject('acl_subscribe');
        callback(null, null); // refused: SUBACK 0x80 for this filter
        return;
      }
      callback(null, subscription);
    },
  });
  broker.on('clientReady', (client) => {
    stats.count('connects');
    stats.set('clientsConnected', broker.connectedClients);
    const identity = identities.get(client);
    if (identity === undefined) return;
    openConnections.set(identity.deviceId, (openConnections.get(identity.deviceId) ?? 0) + 1);
    options.presence?.report(identity.deviceId, 'online', 'connection');
  });
  broker.on('clientDisconnect', (client) => {
    stats.set('clientsConnected', broker.connectedClients);
    const identity = identities.get(client);
    if (identity === undefined) return;
    const open = (openConnections.get(identity.deviceId) ?? 1) - 1;
    if (open > 0) {
      openConnections.set(identity.deviceId, open);
      return;
    }
    openConnections.delete(identity.deviceId);
    // Its will (if any) has fired already; a clean DISCONNECT fires none, but the device is gone all the same.
    options.presence?.report(identity.deviceId, 'offline', 'connection');
  });
  // aedes emits `publish` for a device's QoS 1 PUBLISH only after its PUBACK was written (handlers/publish.js), so
  // this counts PUBACKs sent. A last will is published on the device's behalf and has no messageId: not counted.
  broker.on('publish', (packet, client) => {
    if (client !== null && packet.qos === 1 && packet.messageId !== undefined) stats.count('acks');
  });
  broker.on('clientError', (_client, error) => {
    stats.lastError = error.message;
  });

  const plain = net.createServer((socket) => broker.handle(socket));
  const servers: Server[] = [plain];
  let port: number;
  let tlsPort: number | null = null;
  try {
    port = await listen(plain, options.port, options.host);
    if (options.tls !== undefined) {
      const secure = tls.createServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, (socket) => broker.handle(socket));
      servers.push(secure);
      tlsPort = await listen(secure, options.tls.port, options.host);
    }
  } catch (error) {
    await Promise.all(servers.filter((server) => server.listening).map(closeServer));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  stats.state = 'listening';
  options.log.info(`mqtt: embedded broker on mqtt://${options.host}:${port}${tlsPort !== null ? ` and mqtts://${options.host}:${tlsPort}` : ''}`);

  return {
    port,
    tlsPort,
    connectedClients: () => broker.connectedClients,
    async stop() {
      for (const server of servers) server.close(); // no new connections
      await processor.close(); // store what arrived; its PUBACKs go out
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await Promise.all(servers.map((server) => (server.listening ? closeServer(server) : Promise.resolve())));
      stats.state = 'stopped';
    },
  };
}
