/** `simulate fleet` against an unreachable broker: the first SIGTERM / Ctrl-C ends the run promptly with its summary. */
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup, signalGroup, startCli } from './helpers.js';
import type { CliRun } from './helpers.js';

/** Well above a clean shutdown (~1 s of tsx start-up included), far below "ignored until the next signal". */
const PROMPT_EXIT_MS = 4_000;

let run: CliRun | null = null;
afterEach(async () => {
  await killGroup(run);
  run = null;
});

describe('simulate fleet on a signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s with windows in flight and no broker: exits within seconds and prints the JSON summary', async (signal) => {
    run = startCli(['simulate', 'fleet', '--url', 'mqtt://127.0.0.1:1', '--devices', '3', '--interval', '0', '--window', '1s']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(run.child.exitCode, run.err()).toBeNull();
    const signalledMs = Date.now();
    signalGroup(run, signal);
    const outcome = await Promise.race([run.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), PROMPT_EXIT_MS))]);
    expect(outcome, run.err()).not.toBe('still running');
    expect(Date.now() - signalledMs).toBeLessThan(PROMPT_EXIT_MS);
    expect(run.err()).not.toMatch(/\n\s+at |MaxListenersExceeded/);
    const summary = JSON.parse(run.out().trim().split('\n').at(-1)!) as Record<string, number>;
    expect(summary).toMatchObject({ devices: 3, acked: 0 });
    expect(summary['published']).toBeGreaterThan(0);
  });
});
