import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { parseDurationS, parsePowerW } from '../../src/domain/quantity.js';

describe('quantities with units', () => {
  it.each([
    ['27mW', 0.027],
    ['27.2 mW', 0.0272],
    ['0.5W', 0.5],
    ['800uW', 800e-6],
    ['800µW', 800e-6], // U+00B5 micro sign
    ['800μW', 800e-6], // U+03BC Greek small mu
    ['5nW', 5e-9],
    ['0.001', 0.001],
    ['1e-3 W', 0.001],
    ['2kW', 2000],
    ['27MW', 27e6], // mega, as SI writes it: a bound refuses it (below), the parser does not fold it to milli
  ])('power %s = %f W', (text, watts) => {
    expect(parsePowerW(text)).toBeCloseTo(watts, 15);
  });

  it.each([
    ['10m', 600],
    ['90s', 90],
    ['2h', 7200],
    ['1d', 86400],
    ['500ms', 0.5],
    ['30', 30],
    ['5min', 300],
  ])('duration %s = %f s', (text, seconds) => {
    expect(parseDurationS(text)).toBeCloseTo(seconds, 12);
  });

  it.each(['', 'mW', '27 parsecs', '1e999W', 'NaN', '--5mW', '-5mW', '0x1bW', 'Infinity'])('rejects power %j', (text) => {
    expect(() => parsePowerW(text)).toThrow(ValidationError);
  });

  it.each([
    ['27mw', /case-sensitive .*did you mean 27mW \(milliwatts\) or 27MW \(megawatts\)\?/],
    ['27Mw', /did you mean 27mW \(milliwatts\) or 27MW \(megawatts\)\?/],
    ['27w', /did you mean 27W \(watts\)\?/],
    ['2KW', /did you mean 2kW \(kilowatts\)\?/],
    ['800UW', /did you mean 800uW \(microwatts\)\?/],
    ['27 parsecs', /unknown unit "parsecs" \(expected one of W, mW, uW, µW, μW, nW, kW, MW/],
    // A plain object as the unit table would have found Object.prototype.constructor here.
    ['1constructor', /unknown unit "constructor"/],
  ])('power %j: the error names what was expected', (text, pattern) => {
    expect(() => parsePowerW(text)).toThrow(pattern);
  });

  it('a bound refuses megawatts with the case hint; milliwatts pass it', () => {
    expect(() => parsePowerW('27MW', { maxW: 100 })).toThrow(
      /"27MW" is 27000000 W, above the 100 W limit; units are case-sensitive \(M = mega, m = milli\): did you mean 27mW\?/,
    );
    expect(() => parsePowerW('150W', { maxW: 100 })).toThrow(/^power "150W" is 150 W, above the 100 W limit$/);
    expect(parsePowerW('27mW', { maxW: 100 })).toBeCloseTo(0.027, 15);
  });

  it('a bound speaks the unit the value was written in when it is a sub-unit (an mW field never reads W)', () => {
    expect(() => parsePowerW('200000mW', { maxW: 100 })).toThrow(/^power "200000mW" is 200000 mW, above the 100000 mW \(100 W\) limit$/);
    expect(() => parsePowerW('1e9mW', { maxW: 100 })).toThrow(/^power "1e9mW" is 1000000000 mW, above the 100000 mW \(100 W\) limit$/);
    expect(() => parsePowerW('2e8uW', { maxW: 100 })).toThrow(/^power "2e8uW" is 200000000 uW, above the 100000000 uW \(100 W\) limit$/);
  });

  it.each([
    ['10M', /case-sensitive.*did you mean 10m \(minutes\)\?/],
    ['10MS', /did you mean 10ms \(milliseconds\)\?/],
    ['2H', /did you mean 2h \(hours\)\?/],
    ['1 fortnight', /unknown unit "fortnight" \(expected one of ms, s, m, min, h, d, y/],
  ])('duration %j is refused with what was expected', (text, pattern) => {
    expect(() => parseDurationS(text)).toThrow(pattern);
  });
});
