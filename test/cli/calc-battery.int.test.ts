import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('tinyml-footprint calc: battery ageing flags', () => {
  it('50 years at 1 mW: 9 replacement packs by calendar age (default 5 years)', async () => {
    const { code, stdout } = await runCli(['calc', '--years', '50', '--json'], { entry: 'bin' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).battery).toMatchObject({ replacements: 9, limitedBy: 'calendar' });
  });

  it('--calendar-life and --self-discharge change the assumptions, and the table says so', async () => {
    const { code, stdout } = await runCli(['calc', '--years', '50', '--calendar-life', '20', '--self-discharge', '0'], { entry: 'bin' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/2 replacement\(s\); a pack lasts 20\.0 years \(calendar life 20 years\)/);
    expect(stdout).toMatch(/Lifetime\s+50 years, 438\.00 Wh drawn, 438\.00 Wh from the grid/);
    expect(stdout).not.toMatch(/self-discharge/);
  });

  it('refuses a self-discharge given as a percent, exit 2', async () => {
    const { code, stderr } = await runCli(['calc', '--self-discharge', '2'], { entry: 'bin' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/selfDischargePerMonth/);
  });
});
