import type { Range } from './catalogue-types.js';
import type { Scenario } from '../domain/types.js';

export const ZERO_RANGE: Range = Object.freeze({ min: 0, typical: 0, max: 0 });

export function pointRange(value: number): Range {
  return { min: value, typical: value, max: value };
}

export function addRanges(a: Range, b: Range): Range {
  return { min: a.min + b.min, typical: a.typical + b.typical, max: a.max + b.max };
}

export function scaleRange(range: Range, factor: number): Range {
  return { min: range.min * factor, typical: range.typical * factor, max: range.max * factor };
}

export function pick(range: Range, scenario: Scenario): number {
  return range[scenario];
}
