/**
 * A destination that stops taking lines (a pipe whose reader stalled) costs lines, not the heap: past the logger's
 * buffer bound each line is dropped and counted, and every line logged is either read or counted as dropped.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';

const PINO_LOGGER = fileURLToPath(new URL('../../src/obs/pino-logger.ts', import.meta.url));
const LINES = 20_000;
const BOUND_BYTES = 64 * 1024;

describe('pinoLogger on a stalled destination', () => {
  it('drops and counts the lines past its bound; the lines read and the lines dropped are every line logged', async () => {
    // The child logs to its stdout, a pipe this test does not read until the child has said what it dropped.
    const script = `
      import { writeSync } from 'node:fs';
      import { pinoLogger } from ${JSON.stringify(PINO_LOGGER)};
      const log = pinoLogger({ level: 'info', destination: 1, maxBufferedBytes: ${BOUND_BYTES} }).child({ component: 'http' });
      for (let n = 0; n < ${LINES}; n += 1) log.info('request', { n, url: '/api/devices/dev-0001/footprint' });
      writeSync(2, 'dropped=' + log.linesDropped() + '\\n');
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const said = await waitFor('the child to say what it dropped', () => /dropped=(\d+)\n/.exec(errors), { timeoutMs: 60_000 });
    const dropped = Number(said[1]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await exited).toBe(0);
    await waitFor('stdout to end', () => child.stdout.readableEnded || null, { timeoutMs: 30_000 });
    const lines = output.split('\n').filter((line) => line.length > 0);
    const numbers = lines.map((line) => (JSON.parse(line) as { n: number }).n);
    expect(dropped).toBeGreaterThan(0);
    expect(lines.length + dropped).toBe(LINES);
    // what was kept is in order: a dropped line leaves a gap, never a torn or reordered line
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });
});
