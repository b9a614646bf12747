/** `simulate fleet` against an unreachable broker: the first SIGTERM / Ctrl-C ends the run promptly with its summary. */
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup, signalGroup, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import type { CliRun } from '../helpers/cli.js';

/** From the signal to the exit: far above a clean shutdown on a loaded machine, far below "ignored until the next signal". */
const PROMPT_EXIT_MS = 10_000;
/** Start-up (tsx compiling the CLI) until the first window is published: generous, since CI machines are shared. */
const STARTED_WITHIN_MS = 60_000;

let run: CliRun | null = null;
afterEach(async () => {
  await killGroup(run);
  run = null;
});

describe('simulate fleet on a signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s with windows in flight and no broker: exits within seconds and prints the JSON summary', async (signal) => {
    run = startCli(['simulate', 'fleet', '--url', 'mqtt://127.0.0.1:1', '--devices', '3', '--interval', '0', '--window', '1s'], { detached: true });
    // Running, with its signal handlers installed and windows in flight: it says so when the first is published.
    const started = run;
    await waitFor('the first window published', () => /simulate fleet: publishing/.test(started.err()) || started.child.exitCode !== null, {
      timeoutMs: STARTED_WITHIN_MS,
    });
    expect(run.child.exitCode, run.err()).toBeNull();
    const signalledMs = Date.now();
    signalGroup(run, signal);
    const outcome = await Promise.race([run.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), PROMPT_EXIT_MS))]);
    expect(outcome, run.err()).not.toBe('still running');
    expect(Date.now() - signalledMs).toBeLessThan(PROMPT_EXIT_MS);
    expect(run.err()).not.toMatch(/\n\s+at |MaxListenersExceeded/);
    // `exit` can come before the last of stdout has been read: wait for the pipe's end, not for a time.
    const stdout = run.child.stdout!;
    if (!stdout.readableEnded) await new Promise((resolve) => stdout.once('end', resolve));
    const summary = JSON.parse(run.out().trim().split('\n').at(-1)!) as Record<string, number>;
    expect(summary).toMatchObject({ devices: 3, acked: 0 });
    expect(summary['published']).toBeGreaterThan(0);
    expect(summary['unacked']).toBe(summary['published']); // none acked: all reported, none silently dropped
  });
});

describe('simulate fleet --max-inflight', () => {
  it("bounds each device's unacknowledged windows: with no broker, each device publishes exactly that many, then waits", async () => {
    const devices = 2;
    const maxInflight = 3;
    run = startCli(
      ['simulate', 'fleet', '--url', 'mqtt://127.0.0.1:1', '--devices', String(devices), '--interval', '0', '--max-inflight', String(maxInflight)],
      {
        detached: true,
      },
    );
    const started = run;
    // Each device fills its queue in the same turn as its first publish (nothing waits for the network): once the first
    // is announced, every queue is full and no ack can free a slot.
    await waitFor('the first window published', () => /simulate fleet: publishing/.test(started.err()) || started.child.exitCode !== null, {
      timeoutMs: STARTED_WITHIN_MS,
    });
    signalGroup(run, 'SIGTERM');
    await run.exited;
    const stdout = run.child.stdout!;
    if (!stdout.readableEnded) await new Promise((resolve) => stdout.once('end', resolve));
    const summary = JSON.parse(run.out().trim().split('\n').at(-1)!) as Record<string, number>;
    expect(summary).toMatchObject({ devices, published: devices * maxInflight, acked: 0, unacked: devices * maxInflight });
  });

  it('refuses a value below 1', async () => {
    run = startCli(['simulate', 'fleet', '--url', 'mqtt://127.0.0.1:1', '--max-inflight', '0']);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.err()).toMatch(/--max-inflight must be a decimal integer ≥ 1/);
  });
});
