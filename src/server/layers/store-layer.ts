/**
 * The store layer: with `--store influx`, an outbox writer copying every window the local store commits to InfluxDB
 * (store/outbox/outbox-writer.ts), ingest refusing to acknowledge while its backlog holds the cap, and the writer's
 * backlog, lag and write errors in /api/health and /metrics. With `--store sqlite` (the default) it does nothing.
 */
import { ConfigError } from '../../domain/errors.js';
import { errorFields } from '../../obs/logger.js';
import { FootprintSnapshotter } from '../../service/footprint-snapshots.js';
import { InfluxFootprintWriter } from '../../store/influx/influx-footprint-writer.js';
import { InfluxWindowStore } from '../../store/influx/influx-window-store.js';
import { OutboxWriter } from '../../store/outbox/outbox-writer.js';
import { isWindowOutbox } from '../../store/window-outbox.js';
import type { ServiceLayer } from '../layer.js';
import { redactUrl } from './mqtt-config.js';
import { storeConfigBlock, type StoreLayerConfig } from './store-config.js';

export const storeLayer: ServiceLayer<StoreLayerConfig> = {
  name: 'store',
  config: storeConfigBlock,
  attach(context, config) {
    if (config.kind === 'sqlite') return {};
    const { store, ingest, health, log } = context;
    if (!isWindowOutbox(store)) throw new ConfigError(`--store influx needs a local store that is an outbox (SQLite); this one is ${store.kind}`);
    const targetName = `influx:${redactUrl(config.url)}/${config.database}`;
    const target = new InfluxWindowStore({
      url: config.url,
      database: config.database,
      username: config.username,
      password: config.password,
      retention: config.retention,
    });
    const writer = new OutboxWriter({
      outbox: store,
      target,
      targetName,
      backlogCapWindows: config.backlogCapWindows,
      log: log.child({ component: 'outbox' }),
    });
    // Footprints for dashboards that read only InfluxDB (dashboards/grafana/): a snapshot of every device per interval.
    const footprintWriter = new InfluxFootprintWriter({ url: config.url, database: config.database, username: config.username, password: config.password });
    const snapshotLog = log.child({ component: 'footprint-snapshots' });
    const snapshotter = new FootprintSnapshotter({
      index: context.fleetIndex,
      sink: footprintWriter,
      clock: () => Date.now(),
      onError: (error) => snapshotLog.warn('footprint snapshot round failed; the next round writes every device again', errorFields(error)),
    });
    return {
      async start() {
        await writer.start();
        ingest.useOutbox(writer);
        const unregister = health.register(targetName, writer);
        snapshotter.start();
        const unregisterSnapshots = health.register('footprint-snapshots', snapshotter);
        log.info('store: windows are copied to InfluxDB', { target: targetName, backlog: writer.backlog, backlogCapWindows: writer.backlogCapWindows });
        return {
          name: targetName,
          async stop() {
            await snapshotter.stop();
            unregisterSnapshots();
            await footprintWriter.close();
            await writer.stop();
            ingest.useOutbox(null);
            unregister();
            await target.close();
          },
        };
      },
    };
  },
};
