/**
 * The serial layer of `serve`: reads the configured ports and (unless disabled) every recognised USB board into the
 * service's IngestService, with seqs continuing above what the store holds (SPEC §4.3). `measure` starts its reader
 * through startSerialSource too, on its own sink.
 */
import type { HealthRegistry } from '../../obs/health-registry.js';
import { epochMsSeqStart, startSerialReaders, storeSeqStart, type SerialReaderOptions } from '../../ingest/serial/index.js';
import type { WindowSink } from '../../ingest/window-sink.js';
import type { Store } from '../../store/store.js';
import type { ServiceLayer, Stoppable } from '../layer.js';
import { serialConfigBlock, type SerialLayerConfig } from './serial-config.js';

export interface SerialSourceDeps {
  sink: WindowSink;
  health: HealthRegistry;
  /** Seqs continue above what it holds; without a store they start at the epoch-ms clock (SPEC §4.3). */
  store: Store | null;
  log: (message: string) => void;
}

/** Reader options `serve` has no flags for (measure's short windows, a device id for firmware without hello). */
export type SerialSourceExtras = Pick<SerialReaderOptions, 'windowS' | 'deviceIds' | 'silenceTimeoutS'>;

/** The readers of a serial config, or null when it names no port and discovery is off. */
export async function startSerialSource(config: SerialLayerConfig, deps: SerialSourceDeps, extras: SerialSourceExtras = {}): Promise<Stoppable | null> {
  const { ports, autoDiscover, baudRate } = config;
  if (ports.length === 0 && !autoDiscover) return null;
  const readers = await startSerialReaders(
    { ports, autoDiscover, baudRate, ...extras, seqStart: deps.store === null ? epochMsSeqStart : storeSeqStart(deps.store) },
    deps.sink,
    deps.health,
  );
  deps.log(
    `serial: reading ${ports.length > 0 ? ports.map((port) => `${port.path} (${port.driver ?? 'tmf1'})`).join(', ') : 'no configured port'}${autoDiscover ? ' + auto-discovered USB boards' : ''}`,
  );
  return { name: 'serial', stop: () => readers.stop() };
}

export const serialLayer = {
  name: 'serial',
  config: serialConfigBlock,
  attach(context, config) {
    return { start: () => startSerialSource(config, { sink: context.ingest, health: context.health, store: context.store, log: context.log }) };
  },
} satisfies ServiceLayer<SerialLayerConfig>;
