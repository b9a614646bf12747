import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { round2, seedColumns } from '../helpers/seed-table.js';

describe('tinyml-footprint calc', () => {
  for (const column of seedColumns()) {
    it(`--json reproduces the seed column ${column.system}`, async () => {
      const { code, stdout } = await runCli(['calc', '--system', column.system, '--years', '3', '--json'], { entry: 'bin' });
      expect(code).toBe(0);
      const result = JSON.parse(stdout);
      const rows = Object.fromEntries(
        (result.stages as { id: string; kgCO2e: number }[]).filter((s) => s.id !== 'battery-replacements').map((s) => [s.id, round2(s.kgCO2e)]),
      );
      expect(rows).toEqual(column.rows);
      expect(round2(result.totalKgCO2e)).toBe(column.total);
    });
  }

  it('prints a readable table for the issue example (27 mW in France)', async () => {
    const { code, stdout } = await runCli(['calc', '--system', 'kws-typical', '--power', '27mW', '--region', 'FRA', '--years', '3'], { entry: 'bin' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Power\s+27\.00 mW average, given by you/);
    expect(stdout).toMatch(/Grid\s+FRA grid average \(Ember 2024\): 0\.0442 kg CO2e\/kWh, lifecycle \[ember-yearly\]/);
    expect(stdout).toMatch(/^Use stage\s+0\.03\s/m);
    expect(stdout).toMatch(/^Total\s+2\.68\s/m);
    // 27 mW × 3 years = 709.56 Wh, plus 2.592 Wh self-discharge (2 %/month at 50 % of 7.2 Wh): 98.9 recharges
    expect(stdout).toMatch(/98\.9 recharges \(every 11\.1 days\), 0 replacement\(s\); a pack lasts 5\.0 years \(calendar life 5 years\)/);
    expect(stdout).toMatch(/self-discharge 2\.00 %\/month: 2\.59 Wh recharged from the grid/);
  });

  it('exits 2 with a reason on bad input', async () => {
    const unknown = await runCli(['calc', '--system', 'toaster'], { entry: 'bin' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown system "toaster"/);
    const badPower = await runCli(['calc', '--power=-5mW'], { entry: 'bin' });
    expect(badPower.code).toBe(2);
    expect(badPower.stderr).toMatch(/power/);
    const badFlag = await runCli(['calc', '--colour'], { entry: 'bin' });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--colour'/);
    const badDefault = await runCli(['serve', '--port', '0', '--grid', 'atlantis', '--no-serial-discovery', '--mqtt-port', '0'], {
      entry: 'bin',
      env: { TINYML_DATA_DIR: '/tmp/tinyml-bad-default' },
    });
    expect(badDefault.code).toBe(2);
    expect(badDefault.stderr).toMatch(/default device spec does not resolve .*unknown grid "atlantis"/);
    const badCommand = await runCli(['frobnicate'], { entry: 'bin' });
    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toMatch(/unknown command "frobnicate"/);
  });
});

describe('calc --power units', () => {
  it('27MW is refused with the case hint (it was read as 27 mW)', async () => {
    const { code, stderr } = await runCli(['calc', '--power', '27MW'], { entry: 'bin' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/power "27MW" is 27000000 W, above the 100 W limit.*did you mean 27mW\?/);
  });

  it('27mw is ambiguous and refused', async () => {
    const { code, stderr } = await runCli(['calc', '--power', '27mw'], { entry: 'bin' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/did you mean 27mW \(milliwatts\) or 27MW \(megawatts\)\?/);
  });
});

describe('calc --power needs a unit', () => {
  it.each(['27', '0.027', '1e-3'])('--power %s is a usage error naming the fix', async (power) => {
    const { code, stdout, stderr } = await runCli(['calc', '--power', power], { entry: 'bin' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`power "${power}" has no unit: write it with one, e.g. ${power}mW (milliwatts), ${power}uW or ${power}W`);
  });

  it('--power 27W is still 27 W when the unit is written', async () => {
    const { code, stdout } = await runCli(['calc', '--power', '27W', '--json'], { entry: 'bin' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).power).toMatchObject({ kind: 'given', powerW: 27 });
  });

  it('--inferences-per-s adds energy and SCI per inference, each term named', async () => {
    const args = ['calc', '--system', 'kws-typical', '--power', '27mW', '--region', 'FRA', '--years', '3', '--inferences-per-s', '4'];
    const { code, stdout } = await runCli(args);
    expect(code).toBe(0);
    // 27 mW / 4 per s = 6.75 mJ per inference.
    expect(stdout).toMatch(/^Per inf\. {3}6\.750 mJ per inference, aggregate: average power \/ inference rate, idle included$/m);
    expect(stdout).toMatch(/^SCI {8}.* CO2e per inference = \(E·I \+ M\) per R$/m);
    expect(stdout).toMatch(/^ {2}I {8}0\.0442 kg CO2e\/kWh \(FRA\)/m);
    expect(stdout).toMatch(/^ {2}R {8}1 inference; 4\.000 inferences\/s \(given\), 3\.78e\+8 over the lifetime$/m);
    const json = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect(json.perInference.energy.energyPerInferenceJ).toBeCloseTo(0.00675, 12);
    expect(json.perInference.sci.R).toMatchObject({ basis: 'given', inferencesPerS: 4 });
    // Over the lifetime, SCI × inferences is the footprint without training.
    expect(json.perInference.sci.kgCO2ePerInference * json.perInference.sci.R.lifetimeInferences).toBeCloseTo(json.totalKgCO2e - json.byGroup.training, 9);
    expect((await runCli(['calc', '--inferences-per-s', '0'])).code).toBe(2);
  });
});
