/**
 * CLI start-up: wall time of `node bin/tinyml-footprint.js calc --system kws-typical` (spawn to exit, output
 * discarded) against bare `node -e 0` measured in the same run, interleaved so both see the same machine load.
 * Median and p90 of RUNS each. Target (issue 9): calc ≤ 0.4 s on an idle machine, from a clean clone after
 * `npm ci` (which builds dist/; without dist/ the bin compiles TypeScript through tsx and says nothing).
 * Run alone: `npx tsx bench/startup.ts [runs]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { waitedChildrenCpuSeconds } from './proc-cpu.js';

/** Runs of each command: enough for a stable median and p90 on a 2-core machine in under a minute. */
const DEFAULT_RUNS = 20;
const ROOT = new URL('..', import.meta.url);
const CALC = ['bin/tinyml-footprint.js', 'calc', '--system', 'kws-typical'];
const BARE = ['-e', '0'];

/**
 * CPU milliseconds (user + system) of this process's waited-for children so far, or null off Linux. Unlike wall time
 * it hardly grows when other processes load the machine.
 */
function childrenCpuMs(): number | null {
  const seconds = waitedChildrenCpuSeconds();
  return Number.isNaN(seconds) ? null : seconds * 1000;
}

/** Wall and CPU milliseconds of one `node <args>` run; it must exit 0. */
function timeRun(args: readonly string[]): { wallMs: number; cpuMs: number | null } {
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { wallMs, cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

/** The value below which `share` of the sorted samples lie (nearest rank). */
function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

export async function runStartupBench(runs = DEFAULT_RUNS): Promise<void> {
  const isBuilt = existsSync(new URL('dist/src/cli/main.js', ROOT));
  timeRun(CALC); // warm the file cache; not counted
  const calc: ReturnType<typeof timeRun>[] = [];
  const bare: ReturnType<typeof timeRun>[] = [];
  for (let run = 0; run < runs; run += 1) {
    bare.push(timeRun(BARE));
    calc.push(timeRun(CALC));
  }
  const line = (label: string, samples: ReturnType<typeof timeRun>[]): string => {
    const sorted = samples.map((sample) => sample.wallMs).sort((a, b) => a - b);
    const cpu = samples.every((sample) => sample.cpuMs !== null) ? samples.reduce((sum, sample) => sum + sample.cpuMs!, 0) / samples.length : null;
    const cpuText = cpu === null ? '' : `   CPU mean ${cpu.toFixed(0)} ms`;
    return `  ${label.padEnd(56)} wall median ${percentile(sorted, 0.5).toFixed(0)} ms  p90 ${percentile(sorted, 0.9).toFixed(0)} ms${cpuText}`;
  };
  const median = (samples: ReturnType<typeof timeRun>[]) =>
    percentile(
      samples.map((sample) => sample.wallMs).sort((a, b) => a - b),
      0.5,
    );
  process.stdout.write(
    `${runs} runs each, interleaved; dist/ ${isBuilt ? 'present' : 'absent: the bin compiles through tsx'}\n` +
      `${line('node -e 0', bare)}\n` +
      `${line('node bin/tinyml-footprint.js calc --system kws-typical', calc)}\n` +
      `  calc / bare node (wall medians): ${(median(calc) / median(bare)).toFixed(1)}×\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runStartupBench(Number(process.argv[2] ?? DEFAULT_RUNS));
