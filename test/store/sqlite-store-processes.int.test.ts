/** Two processes appending to one SQLite file at the same time (child processes: integration). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendResult, EnergyWindow } from '../../src/domain/types.js';
import { waitFor } from '../helpers/wait-for.js';
import { concurrentWriters } from './concurrent-writers.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STORE_MODULE = path.join(REPO_ROOT, 'src/store/sqlite/sqlite-store.ts');
/** From the start signal to the common start time (ms): enough for a line to reach each waiting writer's stdin. */
const START_MARGIN_MS = 500;

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
import { createInterface } from 'node:readline';
const [file, batchesFile] = process.argv.slice(2);
const batches = JSON.parse(readFileSync(batchesFile, 'utf8'));
const store = SqliteStore.open(file);
process.stdout.write('ready\\n');
const lines = createInterface({ input: process.stdin });
const startAt = Number(await new Promise((resolve) => lines.once('line', resolve)));
lines.close();
while (Date.now() < startAt) {} // start both writers together
const startedMs = Date.now();
let inserted = 0, duplicates = 0;
for (const batch of batches) {
  const r = await store.appendWindows(batch);
  inserted += r.inserted;
  duplicates += r.duplicates;
  await new Promise((resolve) => setTimeout(resolve, 1)); // like a reader between messages: lets the other writer in
}
const endedMs = Date.now();
await store.close();
process.stdout.write(JSON.stringify({ inserted, duplicates, startedMs, endedMs }));
`,
      );
      type WriterResult = AppendResult & { startedMs: number; endedMs: number };
      interface Writer {
        isReady: () => boolean;
        start: (startAt: number) => void;
        result: Promise<WriterResult>;
      }
      const writer = (name: string, windowBatches: EnergyWindow[][]): Writer => {
        const batchesFile = path.join(dir, `${name}.json`);
        fs.writeFileSync(batchesFile, JSON.stringify(windowBatches));
        const child = spawn(process.execPath, ['--import', 'tsx', script, file, batchesFile], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const result = new Promise<WriterResult>((resolve, reject) => {
          child.on('error', reject);
          child.on('close', (code) => {
            if (code === 0) resolve(JSON.parse(stdout.slice(stdout.indexOf('\n') + 1)) as WriterResult);
            else reject(new Error(`writer exited with ${code}: ${stderr}`));
          });
        });
        return {
          isReady: () => stdout.startsWith('ready\n') || child.exitCode !== null,
          start: (startAt) => child.stdin.end(`${startAt}\n`),
          result,
        };
      };
      const writers = [
        writer('a', batches(range(0, 600), 4)),
        // Both walk upwards at about the same pace, so they race on the same (device, seq) keys.
        writer(
          'b',
          batches(
            range(0, 800).filter((seq) => seq % 3 !== 0 || seq >= 600),
            3,
          ),
        ),
      ];
      // Loading tsx and opening the store take seconds on a busy machine: the start time is set once both are done.
      await waitFor('both writers to load and open the store', () => writers.every((w) => w.isReady()), { timeoutMs: 30_000 });
      const startAt = Date.now() + START_MARGIN_MS;
      for (const w of writers) w.start(startAt);
      const results = await Promise.all(writers.map((w) => w.result));
      // The two append loops ran at the same time, so their transactions really did interleave (a writer that got its
      // start line late still overlaps the other's loop; only one that ran entirely before or after would not).
      const [a, b] = results as [WriterResult, WriterResult];
      expect(a.startedMs < b.endedMs && b.startedMs < a.endedMs, JSON.stringify(results)).toBe(true);
      expect(results[0]!.duplicates + results[1]!.duplicates).toBe(400 * DEVICES.length);
      await checkTotals(range(0, 800), results);
    });
  });
});
