/**
 * Lines still gathered when the process exits are written (pino.destination's exit flush), in the Buffer mode the
 * service's file-descriptor destination uses: a process logs less than a batch and exits at once, with no turn of
 * the event loop for a write.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PINO_LOGGER = fileURLToPath(new URL('../../src/obs/pino-logger.ts', import.meta.url));

describe('pinoLogger at exit', () => {
  it('writes the lines gathered but not yet written when the process exits', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-pino-exit-'));
    try {
      const file = path.join(dir, 'log');
      const script = `
        import { openSync } from 'node:fs';
        import { pinoLogger } from ${JSON.stringify(PINO_LOGGER)};
        const log = pinoLogger({ level: 'info', destination: openSync(${JSON.stringify(file)}, 'w') }).child({ component: 'http' });
        log.info('plain', { n: 1 });
        log.writeJsonFields('info', 'request', '"reqId":"last","status":200');
        process.exit(0);
      `;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toMatchObject([
        { msg: 'plain', n: 1, component: 'http' },
        { msg: 'request', reqId: 'last', status: 200, component: 'http' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('writes what is gathered when fatal() is logged, even if the process is killed at once after', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-pino-fatal-'));
    try {
      const file = path.join(dir, 'log');
      // SIGKILL runs no exit hook: only fatal()'s own synchronous flush can have written the lines.
      const script = `
        import { openSync } from 'node:fs';
        import { pinoLogger } from ${JSON.stringify(PINO_LOGGER)};
        const log = pinoLogger({ level: 'info', destination: openSync(${JSON.stringify(file)}, 'w') });
        log.info('before', { n: 1 });
        log.fatal('dying', { n: 2 });
        process.kill(process.pid, 'SIGKILL');
      `;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(run.signal).toBe('SIGKILL');
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toMatchObject([
        { msg: 'before', n: 1 },
        { msg: 'dying', n: 2, level: 60 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
