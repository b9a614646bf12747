/**
 * `measure --until`: it stops by itself once the average is known to the target, and its closing output carries the
 * confidence, per-inference figures and the sampling warning. Against `simulate serial` on a pty (socat required).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, expectedAveragePowerUw } from '../../src/sim/serial/power-profile.js';
import { killGroup, startCli, type CliRun } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';

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

describe('measure --until', () => {
  it('stops by itself once the 95 % interval is within ±2 %, and warns that 20 ms bursts at 100 Hz get 2 samples each', async () => {
    // 20 ms bursts every 200 ms, sampled at 100 Hz: 2 samples a burst.
    const simulator = cli(['simulate', 'serial', '--burst-ms', '20', '--duty', '0.1', '--sample-rate', '100']);
    await waitFor('the simulator to print its port', () => /open this port: (\S+)/.test(simulator.out()) || simulator.child.exitCode !== null, {
      timeoutMs: START_MS,
    });
    const port = /open this port: (\S+)/.exec(simulator.out())?.[1];
    expect(port, simulator.err()).toBeDefined();
    // The maximum duration is far beyond what the rule needs: the exit is the rule's, not the timer's.
    const measure = cli(['measure', port!, '--until', '2%', '--duration', '10m', '--json']);
    expect((await measure.exited).code, measure.err()).toBe(0);
    const summary = JSON.parse(measure.out());
    expect(summary.until).toEqual({ target: 0.02, reached: true });
    expect(summary.elapsedS).toBeLessThan(300);
    const u = summary.powerUncertainty;
    expect(u.windows).toBeGreaterThanOrEqual(5);
    expect(u.relativeHalfWidth).toBeLessThanOrEqual(0.02);
    expect(u.powerW).toBeCloseTo(summary.averagePowerW, 12);
    // What it promises: the profile's true average is within ±2 % of the measured one.
    const exactW = expectedAveragePowerUw({ ...DEFAULT_PROFILE, burstUs: 20_000, dutyCycle: 0.1, samplePeriodUs: 10_000 }) / 1e6;
    expect(Math.abs(summary.averagePowerW - exactW) / exactW).toBeLessThan(0.02);
    expect(summary.samplingWarning).toMatchObject({ burstBasis: 'duty-cycle estimate' });
    expect(summary.samplingWarning.samplesPerBurst).toBeGreaterThan(1.5);
    expect(summary.samplingWarning.samplesPerBurst).toBeLessThan(2.5);
  });

  it('exits at the maximum duration when the target is not reached (no timer left keeping it alive)', async () => {
    const simulator = cli(['simulate', 'serial', '--burst-ms', '20', '--duty', '0.1', '--sample-rate', '100']);
    await waitFor('the simulator to print its port', () => /open this port: (\S+)/.test(simulator.out()) || simulator.child.exitCode !== null, {
      timeoutMs: START_MS,
    });
    const port = /open this port: (\S+)/.exec(simulator.out())?.[1];
    expect(port, simulator.err()).toBeDefined();
    // ±0.1 % over 12 s of 10 s windows cannot be reached: the duration ends it, and the process must then exit.
    const measure = cli(['measure', port!, '--until', '0.1%', '--duration', '12s', '--json']);
    await waitFor('measure to print its summary', () => measure.out().includes('"until"') || measure.child.exitCode !== null, { timeoutMs: START_MS });
    await waitFor('measure to exit after its summary', () => measure.child.exitCode !== null, { timeoutMs: START_MS });
    expect(measure.child.exitCode, measure.err()).toBe(0);
    expect(JSON.parse(measure.out()).until).toEqual({ target: 0.001, reached: false });
  });

  it('refuses a target it cannot mean', async () => {
    const run = cli(['measure', '/dev/null', '--until', '200%']);
    expect((await run.exited).code).toBe(2);
    expect(run.err()).toMatch(/--until must be a relative precision between 0\.1 % and 50 %/);
  });
});
