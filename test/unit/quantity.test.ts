import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { parseDurationS, parsePowerW } from '../../src/domain/quantity.js';

describe('quantities with units', () => {
  it.each([
    ['27mW', 0.027],
    ['27.2 mW', 0.0272],
    ['0.5W', 0.5],
    ['800uW', 800e-6],
    ['800µW', 800e-6],
    ['0.001', 0.001],
    ['1e-3 W', 0.001],
  ])('power %s = %f W', (text, watts) => {
    expect(parsePowerW(text)).toBeCloseTo(watts, 15);
  });

  it.each([['10m', 600], ['90s', 90], ['2h', 7200], ['1d', 86400], ['500ms', 0.5], ['30', 30]])('duration %s = %f s', (text, seconds) => {
    expect(parseDurationS(text)).toBeCloseTo(seconds, 12);
  });

  it.each(['', 'mW', '27 parsecs', '1e999W', 'NaN', '--5mW'])('rejects %j', (text) => {
    expect(() => parsePowerW(text)).toThrow(ValidationError);
  });
});
