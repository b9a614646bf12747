import { loadServeConfig, SERVE_USAGE } from '../../config/serve-config.js';
import { SERVICE_LAYERS } from '../../server/layers.js';
import { startService } from '../../server/service.js';
import type { CliCommand } from '../command.js';

export const serveCommand: CliCommand = {
  summary: 'run the service: HTTP API, dashboard, serial and MQTT readers, embedded store',
  async run(argv) {
    const config = loadServeConfig(argv, process.env);
    if (config.extra.help === true) {
      process.stdout.write(`${SERVE_USAGE}\n`);
      return 0;
    }
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
};
