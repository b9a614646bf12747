/**
 * The service's log on a pipe whose reader falls behind (stderr into journald or docker under pressure): lines
 * gathered while a write waits still go out once the reader catches up, without another line to push them (a
 * review found a small line held until the next one when a write was still under way at two flush ticks).
 */
import { constants, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOG_FLUSH_INTERVAL_MS, pinoLogger } from '../../src/obs/pino-logger.js';
import { openFifo, readAvailable } from '../helpers/fifo.js';
import { waitFor } from '../helpers/wait-for.js';

/** Lines large enough that a few of them fill a pipe's 64 KiB kernel buffer, so the writer waits for the reader. */
const BIG_LINE_CHARS = 16 * 1024;
const BIG_LINES = 6;
/** How long the reader stays away: several flush ticks, so writes are still waiting at two ticks in a row. */
const READER_AWAY_MS = 6 * LOG_FLUSH_INTERVAL_MS;

describe('pinoLogger on a slow pipe', () => {
  it('writes a small line logged during a waiting write once the reader drains the pipe', async () => {
    const fifo = openFifo('tinyml-pino-fifo-');
    const writer = openSync(fifo.path, constants.O_WRONLY | constants.O_NONBLOCK);
    const received: Buffer[] = [];
    try {
      const log = pinoLogger({ level: 'info', destination: writer });
      for (let n = 0; n < BIG_LINES; n += 1) log.info('big', { n, pad: 'x'.repeat(BIG_LINE_CHARS) });
      await new Promise((resolve) => setTimeout(resolve, 3 * LOG_FLUSH_INTERVAL_MS));
      log.info('small', { last: true });
      // The reader comes back later and reads whatever arrives; nothing more is logged.
      await new Promise((resolve) => setTimeout(resolve, READER_AWAY_MS));
      await waitFor(
        'the small line through the pipe',
        () => {
          received.push(readAvailable(fifo.reader).bytes);
          return Buffer.concat(received).includes('"msg":"small"');
        },
        { timeoutMs: 40 * LOG_FLUSH_INTERVAL_MS },
      );
      const lines = Buffer.concat(received)
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0);
      expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([...new Array<string>(BIG_LINES).fill('big'), 'small']);
    } finally {
      fifo.close();
    }
  });
});
