/** `dead-letters` lists what the outbox writer set aside, per target, newest first, from the data directory (real CLI process). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/store/data-dir.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli } from '../helpers/cli.js';
import { contractDevice, contractWindow } from '../store/store-contract.js';

describe('dead-letters', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('prints each target’s dead letters with their windows and reasons as JSON; {} when there are none', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-dead-'));
    dirs.push(dataDir);
    const store = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
    await store.createDevices([contractDevice('a')]);
    await store.appendWindows([0, 1, 2].map((seq) => contractWindow('a', seq)));
    await store.close();
    const empty = await runCli(['dead-letters', '--data-dir', dataDir]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual({});
    const again = SqliteStore.open(path.join(dataDir, DATABASE_FILE));
    await again.addDeadLetters('influx:http://db:8086/x', [
      { commitSeq: 1, reason: 'beyond_retention', detail: 'partial write: points beyond retention policy dropped=1', refusedMs: 1_000 },
      { commitSeq: 3, reason: 'type_conflict', detail: 'partial write: field type conflict', refusedMs: 2_000 },
    ]);
    await again.close();
    const run = await runCli(['dead-letters', '--data-dir', dataDir, '--limit', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      'influx:http://db:8086/x': {
        total: 2,
        letters: [
          {
            commitSeq: 3,
            reason: 'type_conflict',
            detail: 'partial write: field type conflict',
            refusedMs: 2_000,
            refusedAt: '1970-01-01T00:00:02.000Z',
            deviceId: 'a',
            seq: 2,
            seqUse: 0,
            startMs: 1_020_000,
            durationS: 10,
            energyJ: 0.5,
          },
        ],
      },
    });
  });
});
