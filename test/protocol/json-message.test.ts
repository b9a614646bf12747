import { describe, expect, it } from 'vitest';
import { MAX_JSON_BYTES } from '../../src/protocol/limits.js';
import { parseJsonMessage } from '../../src/protocol/json-message.js';

const WINDOW = {
  v: 1,
  type: 'window',
  seq: 42,
  start_ms: 1764000000000,
  duration_ms: 10000,
  energy_uj: 123456,
  samples: 100,
  min_power_uw: 800,
  max_power_uw: 27000,
  inferences: 12,
};

function reasonOf(payload: unknown): string {
  const result = parseJsonMessage(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return result.type === 'failure' ? result.reason : `ok:${result.type}`;
}

describe('parseJsonMessage', () => {
  it('decodes the window example of the spec, from a Buffer', () => {
    expect(parseJsonMessage(Buffer.from(JSON.stringify(WINDOW)))).toEqual({
      type: 'window',
      seq: 42,
      startMs: 1764000000000,
      durationMs: 10000,
      energyUj: 123456,
      samples: 100,
      minPowerUw: 800,
      maxPowerUw: 27000,
      inferences: 12,
    });
  });

  it('accepts a window without start_ms (startMs null) and ignores unknown fields', () => {
    const { start_ms: _omitted, ...rest } = WINDOW;
    const result = parseJsonMessage(JSON.stringify({ ...rest, extra: 'x' }));
    expect(result.type === 'window' && result.startMs).toBeNull();
  });

  it('decodes hello, with 0 or absent supply and period as null', () => {
    expect(parseJsonMessage('{"v":1,"type":"hello","board":"nano33ble","firmware":"1.2.0","supply_mv":3300,"sample_period_us":1000}')).toEqual({
      type: 'hello',
      deviceId: null,
      board: 'nano33ble',
      firmware: '1.2.0',
      protocolVersion: 1,
      supplyMv: 3300,
      samplePeriodUs: 1000,
    });
    const bare = parseJsonMessage('{"v":1,"type":"hello","board":"esp32","firmware":"x","supply_mv":0}');
    expect(bare.type === 'hello' && [bare.supplyMv, bare.samplePeriodUs]).toEqual([null, null]);
  });

  it('decodes both sample forms to µW', () => {
    const iv = parseJsonMessage('{"v":1,"type":"sample","t_us":4294967295,"mv":3300,"ua":1500}');
    expect(iv).toEqual({ type: 'sample', tUs: 4294967295, powerUw: 4950, mv: 3300, ua: 1500 });
    const p = parseJsonMessage('{"v":1,"type":"sample","t_us":0,"uw":4950}');
    expect(p).toEqual({ type: 'sample', tUs: 0, powerUw: 4950, mv: null, ua: null });
  });

  it('decodes events', () => {
    expect(parseJsonMessage('{"v":1,"type":"event","t_us":5,"kind":"end","inference":7}')).toEqual({
      type: 'event',
      tUs: 5,
      kind: 'end',
      inference: 7,
    });
  });

  it.each([
    ['{"v":1,', 'bad_json'],
    ['[1,2]', 'bad_json'],
    ['null', 'bad_json'],
    [{ ...WINDOW, v: 2 }, 'unsupported_version'],
    [{ ...WINDOW, v: undefined }, 'missing_field'],
    [{ ...WINDOW, type: 'telemetry' }, 'unknown_type'],
    [{ ...WINDOW, type: undefined }, 'missing_field'],
    [{ ...WINDOW, seq: undefined }, 'missing_field'],
    [{ ...WINDOW, seq: '42' }, 'bad_type'],
    [{ ...WINDOW, seq: 4.5 }, 'bad_number'],
    [{ ...WINDOW, seq: -1 }, 'out_of_range'],
    [{ ...WINDOW, seq: 4294967296 }, 'out_of_range'],
    [{ ...WINDOW, duration_ms: 0 }, 'out_of_range'],
    [{ ...WINDOW, start_ms: 0 }, 'out_of_range'],
    [{ ...WINDOW, energy_uj: 1e14 }, 'out_of_range'],
    [{ ...WINDOW, min_power_uw: 30000 }, 'inconsistent'],
    [{ v: 1, type: 'hello', board: 'a b', firmware: '1' }, 'bad_string'],
    [{ v: 1, type: 'hello', board: 'a', firmware: 3 }, 'bad_type'],
    [{ v: 1, type: 'hello', board: 'a' }, 'missing_field'],
    [{ v: 1, type: 'sample', t_us: 1, mv: 3300, ua: 1, uw: 3 }, 'inconsistent'],
    [{ v: 1, type: 'sample', t_us: 1, ua: 1 }, 'missing_field'],
    [{ v: 1, type: 'sample', t_us: 1, mv: 65535, ua: 10000000 }, 'out_of_range'],
    [{ v: 1, type: 'event', t_us: 1, kind: 'start', inference: 1 }, 'bad_type'],
  ])('rejects %j with %s', (payload, reason) => {
    expect(reasonOf(payload)).toBe(reason);
  });

  it('rejects payloads over the size cap before parsing them', () => {
    const big = JSON.stringify({ ...WINDOW, pad: 'x'.repeat(MAX_JSON_BYTES) });
    expect(reasonOf(big)).toBe('too_long');
  });
});
