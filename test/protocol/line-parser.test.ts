import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, PROTOCOL_VERSION } from '../../src/protocol/limits.js';
import { PARSE_REASONS } from '../../src/protocol/messages.js';
import { parseJsonMessage } from '../../src/protocol/json-message.js';
import { parseLine } from '../../src/protocol/line-parser.js';
import { formatEvent, formatHello, formatPowerSample, formatSample, formatWindow } from '../../src/protocol/line-format.js';
import type { ParsedMessage } from '../../src/protocol/messages.js';
import { loadVectors } from './vectors.js';
import type { ValidLineVector } from './vectors.js';

const vectors = loadVectors();

/** The decoded message a valid vector's fields describe, built independently of the parser. */
function expectedMessage(vector: ValidLineVector): ParsedMessage {
  const n = (key: string): number => {
    const value = vector.fields[key];
    if (typeof value !== 'number') throw new Error(`${vector.name}: ${key} is not a number`);
    return value;
  };
  const s = (key: string): string => String(vector.fields[key]);
  switch (vector.kind) {
    case 'H':
      return {
        type: 'hello',
        deviceId: s('device_id'),
        board: s('board'),
        firmware: s('firmware'),
        protocolVersion: n('protocol_version'),
        supplyMv: n('supply_mv') === 0 ? null : n('supply_mv'),
        samplePeriodUs: n('sample_period_us') === 0 ? null : n('sample_period_us'),
      };
    case 'S':
      return {
        type: 'sample',
        tUs: n('t_us'),
        mv: n('mv'),
        ua: n('ua'),
        powerUw: (n('mv') * n('ua')) / 1000,
      };
    case 'P':
      return { type: 'sample', tUs: n('t_us'), powerUw: n('uw'), mv: null, ua: null };
    case 'W':
      return {
        type: 'window',
        seq: n('seq'),
        startMs: null,
        durationMs: n('duration_ms'),
        energyUj: n('energy_uj'),
        samples: n('samples'),
        minPowerUw: n('min_power_uw'),
        maxPowerUw: n('max_power_uw'),
        inferences: n('inferences'),
      };
    case 'E':
      return { type: 'event', tUs: n('t_us'), kind: s('kind') as 'begin' | 'end', inference: n('inference') };
  }
}

describe('golden vectors file', () => {
  it('states the same version and line cap as the code, and only known reasons', () => {
    expect(vectors.protocol_version).toBe(PROTOCOL_VERSION);
    expect(vectors.max_line_bytes).toBe(MAX_LINE_BYTES);
    const reasons = [...vectors.invalid_lines, ...vectors.invalid_json].map((v) => v.reason);
    for (const reason of reasons) expect(PARSE_REASONS).toContain(reason);
    expect(vectors.valid_lines.length).toBeGreaterThanOrEqual(10);
    expect(vectors.invalid_lines.length).toBeGreaterThanOrEqual(30);
  });
});

describe('parseLine against the golden vectors', () => {
  it.each(vectors.valid_lines.map((v) => [v.name, v] as const))('valid: %s', (_name, vector) => {
    expect(parseLine(vector.line)).toEqual(expectedMessage(vector));
    expect(parseLine(`${vector.line}\r`)).toEqual(expectedMessage(vector));
  });

  it.each(vectors.invalid_lines.map((v) => [v.name, v] as const))('invalid: %s', (_name, vector) => {
    const result = parseLine(vector.line ?? '');
    expect(result.type).toBe('failure');
    expect(result.type === 'failure' && result.reason).toBe(vector.reason);
  });
});

describe('parseJsonMessage against the golden vectors', () => {
  it.each(vectors.valid_json.map((v) => [v.name, v] as const))('valid: %s', (_name, vector) => {
    const result = parseJsonMessage(vector.payload);
    expect(result.type).not.toBe('failure');
    if (vector.same_as_line !== null) {
      const twin = vectors.valid_lines.find((v) => v.name === vector.same_as_line);
      expect(twin).toBeDefined();
      const fromLine = parseLine(twin!.line);
      expect(result).toEqual(fromLine.type === 'hello' ? { ...fromLine, deviceId: null } : fromLine);
    }
  });

  it.each(vectors.invalid_json.map((v) => [v.name, v] as const))('invalid: %s', (_name, vector) => {
    const result = parseJsonMessage(vector.payload ?? '');
    expect(result.type === 'failure' && result.reason).toBe(vector.reason);
  });
});

describe('parseLine details', () => {
  it('accepts lowercase checksum hex', () => {
    const line = formatSample(1000, 3300, 1500);
    expect(parseLine(line.slice(0, -2) + line.slice(-2).toLowerCase()).type).toBe('sample');
  });

  it('rejects a line of exactly MAX_LINE_BYTES + 1 bytes as too_long, and is bounded on huge input', () => {
    expect(parseLine('$'.padEnd(MAX_LINE_BYTES + 1, 'A')).type === 'failure').toBe(true);
    const huge = parseLine('$'.padEnd(10_000_000, 'A'));
    expect(huge.type === 'failure' && huge.reason).toBe('too_long');
  });

  it('round-trips what the TS formatter writes', () => {
    const hello = { deviceId: 'sim-1', board: 'sim', firmware: '0.1', supplyMv: 3300, samplePeriodUs: 500 };
    expect(parseLine(formatHello(hello))).toMatchObject({ type: 'hello', deviceId: 'sim-1', samplePeriodUs: 500 });
    expect(parseLine(formatPowerSample(7, 8))).toMatchObject({ type: 'sample', tUs: 7, powerUw: 8 });
    expect(parseLine(formatEvent(9, 'end', 3))).toMatchObject({ type: 'event', kind: 'end', inference: 3 });
    const window = { seq: 1, durationMs: 2, energyUj: 3, samples: 4, minPowerUw: 5, maxPowerUw: 6, inferences: 7 };
    expect(parseLine(formatWindow(window))).toMatchObject({ type: 'window', ...window });
  });

  it('never throws on random bytes and always names a known reason', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 2000; n += 1) {
      const length = next() % 260;
      let line = next() % 2 === 0 ? '$TMF1,' : '';
      for (let i = 0; i < length; i += 1) line += String.fromCharCode(next() % 256);
      const result = parseLine(line);
      if (result.type === 'failure') expect(PARSE_REASONS).toContain(result.reason);
    }
  });
});
