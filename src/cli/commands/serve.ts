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
    const service = await startService(config, { layers: SERVICE_LAYERS });
    process.stderr.write(
      `tinyml-footprint listening on ${service.url} (data in ${config.dataDir})\n` +
        `write endpoints need: Authorization: Bearer <${service.apiTokenOrigin === 'env' ? 'the token in TINYML_API_TOKEN' : `token from ${service.apiTokenFile}`}>\n`,
    );
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        process.stderr.write(`${signal}: shutting down\n`);
        service.close().then(resolve, (error: unknown) => {
          process.stderr.write(`shutdown failed: ${String(error)}\n`);
          resolve();
        });
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
    return 0;
  },
});
