/**
 * A destination that stops taking lines (a pipe whose reader stalled) costs lines, not the heap: past the logger's
 * buffer bound each line is dropped and counted, and every line logged is either read or counted as dropped.
 *
 * The pipe is a FIFO the test opens and reads itself, until its end of file (read() gives 0 once the child, its only
 * writer, has exited), not the child's stdout through Node: when a child exits, Node resumes each of its stdio streams
 * that has no consumer yet (lib/internal/child_process.js, flushStdio on the tick after 'exit'), so what the child had
 * written was read and thrown away if the child exited before the test attached its 'data' listener. That, not the
 * logger, was the 462 lines of 20 000 missing under load in the first version of this test.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openFifo, readAvailable } from '../helpers/fifo.js';
import { waitFor } from '../helpers/wait-for.js';

const PINO_LOGGER = fileURLToPath(new URL('../../src/obs/pino-logger.ts', import.meta.url));
const LINES = 20_000;
/** A bound near a Linux pipe's 64 KiB so that the test holds few lines in memory and drops most of them. */
const BOUND_BYTES = 64 * 1024;
/** Lines logged per event-loop turn: between turns the logger's writes complete, so the pipe really fills up. */
const LINES_PER_TURN = 100;

/** Runs a child logging LINES lines to a FIFO not read until it has logged them all; what was read and dropped. */
async function logToStalledFifo(maxBufferedBytes: number): Promise<{ numbers: number[]; dropped: number; exitCode: number | null }> {
  // Opened before the child, so the child's blocking open for writing returns at once.
  const fifo = openFifo('tinyml-pino-drop-');
  try {
    // The child reports its count from its own 'exit' listener, registered after pino's exit flush: every drop counted.
    const script = `
      import { openSync, writeSync } from 'node:fs';
      import { pinoLogger } from ${JSON.stringify(PINO_LOGGER)};
      const log = pinoLogger({ level: 'info', destination: openSync(${JSON.stringify(fifo.path)}, 'w'), maxBufferedBytes: ${maxBufferedBytes} })
        .child({ component: 'http' });
      let n = 0;
      const turn = () => {
        for (let i = 0; i < ${LINES_PER_TURN} && n < ${LINES}; i += 1, n += 1) log.info('request', { n, url: '/api/devices/dev-0001/footprint' });
        if (n < ${LINES}) return setImmediate(turn);
        writeSync(2, 'logged\\n');
        process.on('exit', () => writeSync(2, 'dropped=' + log.linesDropped() + '\\n'));
        process.exit(0);
      };
      turn();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor('the child to log every line', () => errors.includes('logged\n'), { timeoutMs: 60_000 });
    const chunks: Buffer[] = [];
    await waitFor(
      'the end of the FIFO',
      () => {
        const { bytes, eof } = readAvailable(fifo.reader);
        chunks.push(bytes);
        return eof;
      },
      { timeoutMs: 30_000 },
    );
    const exitCode = await exited;
    await waitFor('the child to say what it dropped', () => child.stderr.readableEnded, { timeoutMs: 30_000 });
    const said = /dropped=(\d+)\n/.exec(errors);
    if (said === null) throw new Error(`the child said no count: ${errors}`);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0);
    return { numbers: lines.map((line) => (JSON.parse(line) as { n: number }).n), dropped: Number(said[1]), exitCode };
  } finally {
    fifo.close();
  }
}

describe('pinoLogger on a stalled destination', () => {
  it('drops and counts the lines past its bound; the lines read and the lines dropped are every line logged', async () => {
    const { numbers, dropped, exitCode } = await logToStalledFifo(BOUND_BYTES);
    expect(exitCode).toBe(0);
    expect(dropped).toBeGreaterThan(0);
    expect(numbers.length + dropped).toBe(LINES);
    // what was kept is in order, each line once: a dropped line leaves a gap, never a torn, repeated or reordered line
    expect(numbers.findIndex((n, i) => i > 0 && n <= (numbers[i - 1] ?? -1))).toBe(-1);
  });
});
