/** Two processes appending to one SQLite file at the same time (child processes: integration). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendResult, EnergyWindow } from '../../src/domain/types.js';
import { concurrentWriters } from './concurrent-writers.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STORE_MODULE = path.join(REPO_ROOT, 'src/store/sqlite/sqlite-store.ts');

describe('SqliteStore (SQLite-specific)', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-sqlite-'));
    file = path.join(dir, 'store.db');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('concurrency', () => {
    const { DEVICES, batches, range, setUp, checkTotals } = concurrentWriters(() => file);

    it('two processes on the same file, appending at the same time, store each unique window once', async () => {
      await setUp();
      const script = path.join(dir, 'writer.mjs');
      fs.writeFileSync(
        script,
        `import { SqliteStore } from ${JSON.stringify(pathToFileURL(STORE_MODULE).href)};
import { readFileSync } from 'node:fs';
const [file, startAt, batchesFile] = process.argv.slice(2);
const batches = JSON.parse(readFileSync(batchesFile, 'utf8'));
const store = SqliteStore.open(file);
const onTime = Date.now() < Number(startAt);
while (Date.now() < Number(startAt)) {} // start both writers together
let inserted = 0, duplicates = 0;
for (const batch of batches) {
  const r = await store.appendWindows(batch);
  inserted += r.inserted;
  duplicates += r.duplicates;
  await new Promise((resolve) => setTimeout(resolve, 1)); // like a reader between messages: lets the other writer in
}
await store.close();
process.stdout.write(JSON.stringify({ inserted, duplicates, onTime, elapsedMs: Date.now() - Number(startAt) }));
`,
      );
      type WriterResult = AppendResult & { onTime: boolean };
      const run = (name: string, windowBatches: EnergyWindow[][], startAt: number): Promise<WriterResult> =>
        new Promise((resolve, reject) => {
          const batchesFile = path.join(dir, `${name}.json`);
          fs.writeFileSync(batchesFile, JSON.stringify(windowBatches));
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', script, file, String(startAt), batchesFile],
            { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('error', reject);
          child.on('close', (code) => {
            if (code === 0) resolve(JSON.parse(stdout) as WriterResult);
            else reject(new Error(`writer exited with ${code}: ${stderr}`));
          });
        });
      const startAt = Date.now() + 2_500; // after both processes have loaded tsx and opened the store
      const results = await Promise.all([
        run('a', batches(range(0, 600), 4), startAt),
        // Both walk upwards at about the same pace, so they race on the same (device, seq) keys.
        run('b', batches(range(0, 800).filter((seq) => seq % 3 !== 0 || seq >= 600), 3), startAt),
      ]);
      // Both writers were ready before the start signal, so their transactions really did interleave.
      expect(results.map((r) => r.onTime)).toEqual([true, true]);
      expect(results[0]!.duplicates + results[1]!.duplicates).toBe(400 * DEVICES.length);
      await checkTotals(range(0, 800), results);
    });
  });
});
