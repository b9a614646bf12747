import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('CLI number flags are decimal', () => {
  it.each([
    ['--training-devices', '0x10'],
    ['--training-devices', '1.5'],
    ['--years', '0x3'],
    ['--years', '0b11'],
    ['--years', ' 3'],
    ['--charger-efficiency', '0o1'],
    ['--battery-wh', 'Infinity'],
  ])('calc %s %j exits 2 naming the flag', async (flag, value) => {
    const { code, stderr } = await runCli(['calc', '--power', '27mW', `${flag}=${value}`], { entry: 'bin' });
    expect(code).toBe(2);
    expect(stderr).toContain(flag);
  });

  it('decimal values with an exponent are still numbers: --years 3e0 is 3 years', async () => {
    const { code, stdout } = await runCli(['calc', '--power', '27mW', '--years', '3e0', '--training-devices', '16', '--json'], { entry: 'bin' });
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.lifetimeYears).toBe(3);
    expect(result.training.devices).toBe(16);
  });
});
