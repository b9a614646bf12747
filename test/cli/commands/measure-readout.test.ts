import { describe, expect, it } from 'vitest';
import { QUIET_AFTER_S, clockText, readoutLine } from '../../../src/cli/commands/measure-readout.js';
import type { ReadoutState } from '../../../src/cli/commands/measure-readout.js';

const base: ReadoutState = {
  elapsedS: 12,
  path: '/dev/ttyACM0',
  state: 'connected',
  lastError: null,
  bytes: 1000,
  deviceId: 'sim-1',
  preHelloLines: 0,
  averagePowerW: 2.6548e-3,
  nowPowerW: 16.5e-6,
  energyJ: 31.86e-3,
  samples: 12_000,
  coverage: 0.9991,
  errors: 0,
  quietS: 0.2,
};

describe('measure readout', () => {
  it('reads as a line of values', () => {
    expect(readoutLine(base)).toBe('00:12  avg 2.65 mW  now 16.5 µW  31.9 mJ  12.0k smp  cov 99.9 %  err 0');
    expect(readoutLine({ ...base, coverage: 1 })).toContain('cov 100 %');
    expect(readoutLine({ ...base, coverage: 0.99996 })).toContain('cov 99.9 %'); // never rounded up to a full 100
  });

  it('says what it is waiting for instead of showing dashes', () => {
    expect(readoutLine({ ...base, bytes: 0, state: 'connecting', lastError: 'open: Error: Permission denied' })).toBe(
      '00:12  connecting /dev/ttyACM0: open: Error: Permission denied',
    );
    expect(readoutLine({ ...base, bytes: 0 })).toBe('00:12  waiting for data on /dev/ttyACM0');
    expect(readoutLine({ ...base, deviceId: null, preHelloLines: 1234, errors: 3 })).toBe('00:12  no hello yet: 1234 lines kept  err 3');
    expect(readoutLine({ ...base, averagePowerW: null })).toBe('00:12  now 16.5 µW  waiting for the first window  err 0');
    expect(readoutLine({ ...base, quietS: QUIET_AFTER_S + 1.5 })).toContain('  no data 3 s  ');
    expect(readoutLine({ ...base, state: 'backoff' })).toContain('  backoff  ');
  });

  it('fits 80 columns with the widest values: a week, 100 W, millions of samples and errors, long paths', () => {
    const wide: ReadoutState[] = [
      {
        ...base,
        elapsedS: 7 * 86_400 - 1,
        averagePowerW: 99.95,
        nowPowerW: 0.000_999_5,
        energyJ: 60.48e6,
        samples: 604_800_000,
        coverage: 0.123,
        errors: 999_999_999,
      },
      { ...base, elapsedS: 7 * 86_400 - 1, averagePowerW: 1e-9, nowPowerW: 0, energyJ: 0, samples: 9_999, errors: 9_999 },
      { ...base, elapsedS: 7 * 86_400 - 1, nowPowerW: 0.000_999_5, averagePowerW: 0.999_95, samples: 999_999, errors: 999_999_999 },
      { ...base, elapsedS: 7 * 86_400 - 1, quietS: 1e6, averagePowerW: 12.345e-3, energyJ: 999.9e3 },
      { ...base, deviceId: null, preHelloLines: 16_384, errors: 123_456_789 },
      { ...base, bytes: 0, path: `/dev/serial/by-id/${'usb-'.repeat(30)}`, state: 'connecting', lastError: 'x'.repeat(200) },
      { ...base, bytes: 0, path: `/dev/serial/by-id/${'usb-'.repeat(30)}` },
    ];
    for (const state of wide) {
      const line = readoutLine(state);
      expect([...line].length, line).toBeLessThanOrEqual(80);
      expect(line).not.toMatch(/\de[+-]\d/); // no exponent where a prefix belongs (999.5 µW is 1.00 mW)
    }
    expect(clockText(7 * 86_400 - 1)).toBe('167:59:59');
    expect(clockText(59 * 60 + 59)).toBe('59:59');
  });
});
