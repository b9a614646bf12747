/**
 * The MQTT service layer: an embedded aedes broker (default) or a reader of an external broker, plus the
 * credentials API. One state per running service (tests run several services in one process).
 */
import type { Router } from 'express';
import { requireBearer } from '../../http/auth.js';
import type { ServiceContext, ServiceLayer, Stoppable } from '../../server/service.js';
import { credentialsRouter } from '../../broker/credentials-router.js';
import { SqliteCredentialStore, type CredentialStore } from '../../broker/credential-store.js';
import { CredentialVerifier } from '../../broker/credential-verifier.js';
import { startEmbeddedBroker } from '../../broker/embedded-broker.js';
import { MqttMessageProcessor } from './message-processor.js';
import { loadMqttConfig, redactUrl, type MqttLayerConfig } from './mqtt-config.js';
import { MqttReader } from './mqtt-reader.js';
import { MqttStats } from './mqtt-stats.js';

interface LayerState {
  config: MqttLayerConfig;
  /** Open while the embedded broker may run; set to null (and closed) when it will not, so the API answers 409. */
  credentials: CredentialStore | null;
}

const states = new WeakMap<ServiceContext, LayerState>();

function stateOf(context: ServiceContext): LayerState {
  let state = states.get(context);
  if (state === undefined) {
    const config = loadMqttConfig(context.config.extra, context.config.dataDir);
    const credentials = config.mode.kind === 'embedded' ? SqliteCredentialStore.openInDataDir(context.config.dataDir) : null;
    state = { config, credentials };
    states.set(context, state);
  }
  return state;
}

export const mqttLayer: ServiceLayer = {
  name: 'mqtt',
  apiRouters(context): Router[] {
    const state = stateOf(context);
    const { config } = state;
    return [
      credentialsRouter({
        store: () => state.credentials,
        requireToken: requireBearer(context.apiToken),
        prefix: config.prefix,
        brokerPort: config.mode.kind === 'embedded' ? config.mode.port : null,
      }),
    ];
  },
  async start(context): Promise<Stoppable | null> {
    const state = stateOf(context);
    const { config } = state;
    const mode = config.mode;
    if (mode.kind === 'off') {
      await state.credentials?.close();
      state.credentials = null;
      return null;
    }
    if (mode.kind === 'external') {
      const name = `mqtt:${redactUrl(mode.url)}`;
      const stats: MqttStats = new MqttStats(name, 'mqtt', (): Record<string, unknown> => ({
        clientId: mode.clientId,
        shareGroup: mode.shareGroup ?? null,
        prefix: config.prefix,
        devicesOnline: processor.devicesOnline,
        ...reader.details(),
      }));
      const processor: MqttMessageProcessor = new MqttMessageProcessor({ sink: context.ingest, stats, prefix: config.prefix, source: name, presence: context.presence });
      const reader: MqttReader = new MqttReader({ ...mode, prefix: config.prefix, processor, stats, log: context.log });
      const unregister = context.health.register(name, stats);
      reader.start();
      return {
        name,
        async stop() {
          await reader.stop();
          unregister();
        },
      };
    }
    const credentials = state.credentials;
    if (credentials === null) throw new Error('embedded broker without a credential store');
    let port = mode.port;
    const name = `broker:mqtt://${mode.host}:${mode.port}`;
    const stats: MqttStats = new MqttStats(name, 'broker', (): Record<string, unknown> => ({
      port,
      tlsPort: broker?.tlsPort ?? null,
      prefix: config.prefix,
      devicesOnline: processor.devicesOnline,
    }));
    const processor: MqttMessageProcessor = new MqttMessageProcessor({ sink: context.ingest, stats, prefix: config.prefix, source: 'mqtt:embedded', presence: context.presence });
    let broker: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
    try {
      broker = await startEmbeddedBroker({ ...mode, prefix: config.prefix, processor, stats, verifier: new CredentialVerifier(credentials), presence: context.presence, log: context.log });
    } catch (error) {
      state.credentials = null;
      await credentials.close();
      if (!mode.portExplicit && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        // Another broker (often a system Mosquitto) owns the default port: run without ours, say so in health.
        stats.state = 'disabled';
        stats.lastError = `port ${mode.port} is in use; embedded broker not started (use --mqtt-url to read that broker, or --mqtt-port)`;
        context.log(`mqtt: ${stats.lastError}`);
        const unregister = context.health.register(name, stats);
        return { name, stop: async () => unregister() };
      }
      throw error;
    }
    port = broker.port;
    const running = broker;
    const unregister = context.health.register(name, stats);
    return {
      name,
      async stop() {
        await running.stop();
        unregister();
        await credentials.close();
      },
    };
  },
};
