/**
 * The MQTT layer: an embedded aedes broker (default) or a reader of an external broker, plus the credentials API.
 * Its state (the credential store) belongs to one attached service: tests run several services in one process.
 */
import { credentialsRouter } from '../../broker/credentials-router.js';
import { SqliteCredentialStore, type CredentialStore } from '../../broker/credential-store.js';
import { CredentialVerifier } from '../../broker/credential-verifier.js';
import { startEmbeddedBroker } from '../../broker/embedded-broker.js';
import { requireBearer } from '../../http/auth.js';
import { MqttMessageProcessor } from '../../ingest/mqtt/message-processor.js';
import { MqttReader } from '../../ingest/mqtt/mqtt-reader.js';
import { MqttStats } from '../../ingest/mqtt/mqtt-stats.js';
import type { LayerContext, ServiceLayer, Stoppable } from '../layer.js';
import { mqttConfigBlock, redactUrl, type MqttLayerConfig, type MqttMode } from './mqtt-config.js';

type ExternalMode = Extract<MqttMode, { kind: 'external' }>;
type EmbeddedMode = Extract<MqttMode, { kind: 'embedded' }>;

function startExternalReader(context: LayerContext, prefix: string, mode: ExternalMode): Stoppable {
  const name = `mqtt:${redactUrl(mode.url)}`;
  const stats: MqttStats = new MqttStats(name, 'mqtt', (): Record<string, unknown> => ({
    clientId: mode.clientId,
    shareGroup: mode.shareGroup ?? null,
    prefix,
    devicesOnline: processor.devicesOnline,
    ...reader.details(),
  }));
  const processor: MqttMessageProcessor = new MqttMessageProcessor({ sink: context.ingest, stats, prefix, source: name, presence: context.presence });
  const reader: MqttReader = new MqttReader({ ...mode, prefix, processor, stats, log: context.log });
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

/** Starts the broker; `release` is called once the credential store must close (broker stopped, or never started). */
async function startBroker(
  context: LayerContext,
  prefix: string,
  mode: EmbeddedMode,
  credentials: CredentialStore,
  release: () => Promise<void>,
): Promise<Stoppable> {
  let port = mode.port;
  const name = `broker:mqtt://${mode.host}:${mode.port}`;
  const stats: MqttStats = new MqttStats(name, 'broker', (): Record<string, unknown> => ({
    port,
    tlsPort: broker?.tlsPort ?? null,
    prefix,
    devicesOnline: processor.devicesOnline,
  }));
  const processor: MqttMessageProcessor = new MqttMessageProcessor({
    sink: context.ingest,
    stats,
    prefix,
    source: 'mqtt:embedded',
    presence: context.presence,
  });
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
  try {
    broker = await startEmbeddedBroker({
      ...mode,
      prefix,
      processor,
      stats,
      verifier: new CredentialVerifier(credentials),
      presence: context.presence,
      log: context.log,
    });
  } catch (error) {
    await release();
    if (!mode.portExplicit && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      // Another broker (often a system Mosquitto) owns the default port: run without ours, say so in health.
      stats.state = 'disabled';
      stats.lastError = `port ${mode.port} is in use; embedded broker not started (use --mqtt-url to read that broker, or --mqtt-port)`;
      context.log.warn(`mqtt: ${stats.lastError}`);
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
      await release();
    },
  };
}

export const mqttLayer = {
  name: 'mqtt',
  config: mqttConfigBlock,
  attach(context, config) {
    const { prefix, mode } = config;
    /** Open while the embedded broker may run; null (and closed) when it will not, so the credentials API answers 409. */
    let credentials: CredentialStore | null = mode.kind === 'embedded' ? SqliteCredentialStore.openInDataDir(context.config.dataDir) : null;
    const release = async (): Promise<void> => {
      const open = credentials;
      credentials = null;
      await open?.close();
    };
    return {
      apiRouters: [
        credentialsRouter({
          store: () => credentials,
          requireToken: requireBearer(context.apiToken),
          prefix,
          brokerPort: mode.kind === 'embedded' ? mode.port : null,
        }),
      ],
      async start() {
        if (mode.kind === 'off') return null;
        if (mode.kind === 'external') return startExternalReader(context, prefix, mode);
        if (credentials === null) throw new Error('embedded broker without a credential store');
        return startBroker(context, prefix, mode, credentials, release);
      },
      abort: release,
    };
  },
} satisfies ServiceLayer<MqttLayerConfig>;
