import { errorFields } from '../../obs/logger.js';
import { pinoLogger } from '../../obs/pino-logger.js';
import { SERVE_OPTIONS, serveConfigFrom, serveOptionsUsage } from '../../server/serve-config.js';
import { SERVICE_LAYERS } from '../../server/layers.js';
import { startService } from '../../server/service.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';

/** serve's flags are the config blocks' (src/server/serve-config.ts): --help lists them block by block. */
export const serveCommand: CliCommand = defineCommand({
  name: 'serve',
  options: SERVE_OPTIONS,
  optionsUsage: () => `${serveOptionsUsage()}\n\n  -h, --help  show this text`,
  async run({ values }) {
    const config = serveConfigFrom(values, process.env);
    const log = pinoLogger({ level: config.logLevel });
    const service = await startService(config, { layers: SERVICE_LAYERS, log });
    const tokenFrom = service.apiTokenOrigin === 'env' ? 'the token in TINYML_API_TOKEN' : `token from ${service.apiTokenFile}`;
    log.info(`tinyml-footprint listening on ${service.url} (data in ${config.dataDir})`, { url: service.url, dataDir: config.dataDir });
    log.info(`write endpoints need: Authorization: Bearer <${tokenFrom}>`, { apiTokenOrigin: service.apiTokenOrigin });
    await new Promise<void>((resolve) => {
      let shuttingDown = false;
      const shutdown = (signal: NodeJS.Signals) => {
        if (shuttingDown) {
          // A second signal (Ctrl-C twice): the operator will not wait for the drain.
          log.warn(`${signal} again: exiting without waiting for the drain`, { signal });
          process.exit(1);
        }
        shuttingDown = true;
        log.info(`${signal}: shutting down (draining in-flight requests)`, { signal });
        service.close().then(resolve, (error: unknown) => {
          log.error('shutdown failed', errorFields(error));
          resolve();
        });
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
    return 0;
  },
});
