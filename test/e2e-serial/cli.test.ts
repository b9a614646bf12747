/** The CLI as a user runs it: `simulate serial` makes a pty (socat required), `measure` reads it, `ports` lists ports. */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { DEFAULT_PROFILE, expectedAveragePowerUw } from '../../src/ingest/serial/simulator/power-profile.js';
import { computeFootprint } from '../../src/model/footprint.js';
import { footprintInputFromSpec } from '../../src/service/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { waitFor } from '../ingest/serial/helpers.js';

const ROOT = new URL('../../', import.meta.url);
/** node itself (not npx) runs the CLI, so a signal reaches the process that owns the socat child. */
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
let simulator: ChildProcess | null = null;

afterAll(async () => {
  if (simulator !== null && simulator.exitCode === null) {
    const exited = new Promise((resolve) => simulator!.once('exit', resolve));
    simulator.kill('SIGTERM');
    await exited;
  }
});

describe('serial CLI', () => {
  it('measure reads what simulate serial sends, within 1 % of the profile, and prints a JSON summary', async () => {
    // 2 ms bursts at 25 % duty: an 8 ms period, so a few seconds hold hundreds of whole periods.
    simulator = spawn(process.execPath, [...CLI, 'simulate', 'serial', '--duration', '20s', '--burst-ms', '2', '--duty', '0.25', '--noise-ua', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    simulator.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    simulator.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await waitFor('the simulator to print its port', () => /open this port: (\S+)/.test(out) || simulator?.exitCode !== null, 20_000);
    const port = /open this port: (\S+)/.exec(out)?.[1];
    expect(port, `simulator output: ${out} ${err}`).toBeDefined();

    const measure = spawnSync(process.execPath, [...CLI, 'measure', port!, '--duration', '4s', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(measure.status, measure.stderr).toBe(0);
    const summary = JSON.parse(measure.stdout) as {
      averagePowerW: number;
      deviceId: string;
      samples: number;
      windows: number;
      coveredS: number;
      coverage: number;
      lifetimeKgCO2e: number;
      lifetimeKgCO2eAssumed: number;
    };
    const exactW = expectedAveragePowerUw({ ...DEFAULT_PROFILE, burstUs: 2000, dutyCycle: 0.25 }) / 1e6;
    expect(summary.deviceId).toBe(DEFAULT_PROFILE.deviceId);
    expect(Math.abs(summary.averagePowerW - exactW) / exactW).toBeLessThan(0.01);
    expect(summary.samples).toBeGreaterThan(2000);
    expect(summary.coverage).toBeGreaterThan(0.99);
    // The lifetime footprint is the model's for the measured average on the default system (recomputed here).
    const catalogue = buildCatalogue();
    const spec = { ...SEED_DEFAULT_SPEC, system: String(SEED_DEFAULT_SPEC.system) };
    const { averagePowerW: powerW, coveredS: observedS, samples, windows } = summary;
    const measured = computeFootprint(catalogue, footprintInputFromSpec(spec, { kind: 'measured', powerW, observedS, samples, windows }));
    const assumed = computeFootprint(catalogue, footprintInputFromSpec(spec, { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW }));
    expect(summary.lifetimeKgCO2e).toBeCloseTo(measured.totalKgCO2e, 9);
    expect(summary.lifetimeKgCO2eAssumed).toBeCloseTo(assumed.totalKgCO2e, 9);
    expect(Math.abs(summary.lifetimeKgCO2e - summary.lifetimeKgCO2eAssumed)).toBeGreaterThan(1e-6); // 0.66 mW measured vs 1 mW assumed
    expect(measure.stderr).toMatch(/avg .* coverage/);
    // The simulator outlives the reader: it must not block on the undrained pty, and must exit cleanly on SIGTERM.
    const exited = new Promise<number | null>((resolve) => simulator!.once('exit', (code) => resolve(code)));
    simulator!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toMatch(/sent \d+ samples/);
  });

  it('ports lists serial ports (or says there are none) and exits 0', () => {
    const result = spawnSync(process.execPath, [...CLI, 'ports', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
  });

  it('simulate serial rejects an invalid profile with exit code 2', () => {
    const result = spawnSync(process.execPath, [...CLI, 'simulate', 'serial', '--duty', '2', '--path', '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/duty cycle/);
  });
});
