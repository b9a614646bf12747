/**
 * The LPM01A as a user drives it: `simulate lpm01a` on a pty (socat required), `measure --instrument lpm01a` reading it;
 * the figures compared with what the simulator reports it sent (its --json line at exit).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup, signalGroup, startCli, type CliRun } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';

interface SimReport {
  samples: number;
  energyJ: number;
  averagePowerW: number;
  runs: number;
  medianUjPerInference: number;
  hostControlled: boolean;
  acquiring: boolean;
}

const START_MS = 60_000;
let runs: CliRun[] = [];
afterEach(async () => {
  await Promise.all(runs.map((run) => killGroup(run)));
  runs = [];
});

function cli(args: readonly string[]): CliRun {
  const run = startCli(args, { detached: true });
  runs.push(run);
  return run;
}

describe('LPM01A CLI', () => {
  it('measure --instrument lpm01a reads what simulate lpm01a sent, and leaves it released', async () => {
    const simulator = cli(['simulate', 'lpm01a', '--inferences', '20', '--idle-s', '0.2', '--json']);
    const path = await waitFor('the simulator to print its port', () => /open this port: (\S+)/.exec(simulator.out())?.[1], { timeoutMs: START_MS });
    const measure = cli(['measure', path, '--instrument', 'lpm01a,inferences=20', '--duration', '5s', '--window', '1s', '--json']);
    expect((await measure.exited).code, measure.err()).toBe(0);
    signalGroup(simulator, 'SIGINT');
    expect((await simulator.exited).code, simulator.err()).toBe(0);
    const sent = JSON.parse(simulator.out().trim().split('\n').at(-1)!) as SimReport;
    const summary = JSON.parse(measure.out()) as { deviceId: string; averagePowerW: number; samples: number; inferences: number; rejected: object };
    expect(summary.deviceId).toMatch(/^lpm01a-\d+-\d+-\d+$/);
    expect(summary.samples).toBe(sent.samples);
    expect(Math.abs(summary.averagePowerW / sent.averagePowerW - 1)).toBeLessThan(0.005);
    expect(summary.inferences).toBe(sent.runs * 20);
    expect(summary.rejected).toEqual({});
    expect(sent).toMatchObject({ hostControlled: false, acquiring: false });
  }, 120_000);

  it('refuses a bad instrument setting before opening anything (exit 2, naming the setting)', async () => {
    const measure = cli(['measure', '/dev/null', '--instrument', 'lpm01a,rate=3000']);
    expect((await measure.exited).code).toBe(2);
    expect(measure.err()).toMatch(/lpm01a rate must be one of .* got "3000"/);
  }, 60_000);
});
