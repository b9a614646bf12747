/** `simulate serial` ended by a Ctrl-C in a terminal: the signal reaches the whole process group, socat included. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup, signalGroup, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import type { CliRun } from '../helpers/cli.js';

let runs: CliRun[] = [];
afterEach(async () => {
  await Promise.all(runs.map((run) => killGroup(run)));
  runs = [];
});

function socatProcessesFor(dir: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('socat') && line.includes(dir));
}

describe('simulate serial on Ctrl-C', () => {
  it.each([
    ['as fast as the link drains', ['--rate-limit', 'none']],
    ['in real time', []],
  ])('%s: exits 0 without a stack trace, stops socat and removes its temp dir', async (_name, flags) => {
    const run = startCli(['simulate', 'serial', ...flags], { detached: true });
    runs.push(run);
    await waitFor('the port path', () => /open this port: (\S+)/.test(run.out()) || run.child.exitCode !== null, { timeoutMs: 20_000 });
    const port = /open this port: (\S+)/.exec(run.out())?.[1];
    expect(port, run.err()).toBeDefined();
    const dir = dirname(port!);
    await new Promise((resolve) => setTimeout(resolve, 700)); // writes in flight
    signalGroup(run, 'SIGINT');
    const { code, signal } = await run.exited;
    expect(run.err()).not.toMatch(/Error|Unhandled|\n\s+at /);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(run.err()).toMatch(/sent \d+ samples/);
    expect(existsSync(dir)).toBe(false);
    await waitFor('socat to exit', () => socatProcessesFor(dir).length === 0, { timeoutMs: 5_000 });
  });
});
