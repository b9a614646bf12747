/**
 * `dead-letters`: the windows a networked window store (InfluxDB) refused for good and the outbox writer set aside
 * (store/outbox/outbox-writer.ts), per target, newest first, with the reason and the target's words. Reads the data
 * directory's SQLite store; works while `serve` runs (WAL).
 */
import path from 'node:path';
import { ConfigError } from '../../domain/errors.js';
import { DATABASE_FILE, defaultDataDir } from '../../store/data-dir.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';

/** Dead letters listed per target unless --limit says otherwise. */
export const DEFAULT_DEAD_LETTERS_LISTED = 100;

export const deadLettersCommand: CliCommand = defineCommand({
  name: 'dead-letters',
  options: {
    'data-dir': { type: 'string', value: '<dir>', env: 'TINYML_DATA_DIR', default: '~/.tinyml-footprint', help: "the service's data directory" },
    limit: { type: 'string', value: '<n>', default: String(DEFAULT_DEAD_LETTERS_LISTED), help: 'at most this many per target (newest first)' },
  },
  notes: 'Prints {"<target>": {"total": n, "letters": [...]}} as JSON on stdout. The windows stay in the local store.',
  async run({ values }) {
    const limit = Number(values.limit ?? DEFAULT_DEAD_LETTERS_LISTED);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new ConfigError(`--limit must be a positive integer, got "${values.limit}"`);
    const store = SqliteStore.open(path.join(path.resolve(values['data-dir'] ?? defaultDataDir()), DATABASE_FILE));
    try {
      const out: Record<string, unknown> = {};
      for (const target of await store.deadLetterTargets()) {
        const { total, letters } = await store.listDeadLetters(target, limit);
        out[target] = {
          total,
          letters: letters.map(({ window, ...letter }) => ({
            ...letter,
            refusedAt: new Date(letter.refusedMs).toISOString(),
            deviceId: window.deviceId,
            seq: window.seq,
            seqUse: window.seqUse,
            startMs: window.startMs,
            durationS: window.durationS,
            energyJ: window.energyJ,
          })),
        };
      }
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
});
