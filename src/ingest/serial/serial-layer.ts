/**
 * The serial service layer for `serve`: reads the configured ports and (unless disabled) every recognised USB board,
 * into the service's IngestService, with seqs continuing above what the store holds (SPEC §4.3).
 * Wiring: add `serialLayer` to SERVICE_LAYERS in src/server/layers.ts.
 */
import type { ServiceContext, ServiceLayer, Stoppable } from '../../server/service.js';
import { startSerialReaders, storeSeqStart } from './index.js';

export const serialLayer: ServiceLayer = {
  name: 'serial',
  async start(context: ServiceContext): Promise<Stoppable | null> {
    const { ports, autoDiscover, baudRate } = context.config.serial;
    if (ports.length === 0 && !autoDiscover) return null;
    const readers = await startSerialReaders(
      { ports, autoDiscover, baudRate, seqStart: storeSeqStart(context.store) },
      context.ingest,
      context.health,
    );
    context.log(`serial: reading ${ports.length > 0 ? ports.join(', ') : 'no configured port'}${autoDiscover ? ' + auto-discovered USB boards' : ''}`);
    return { name: 'serial', stop: () => readers.stop() };
  },
};
