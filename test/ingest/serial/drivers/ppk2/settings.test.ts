import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../src/domain/errors.js';
import { PPK2_DEFAULT_SETTINGS, parsePpk2Settings } from '../../../../../src/ingest/serial/drivers/ppk2/settings.js';

describe('parsePpk2Settings', () => {
  it('defaults to source mode at 3.3 V, markers on D0, spike filter on', () => {
    expect(parsePpk2Settings({})).toEqual({ mode: 'source', voltageMv: 3300, logicChannel: 0, inferencesPerMarker: 1, spikeFilter: true });
    expect(PPK2_DEFAULT_SETTINGS.mode).toBe('source');
  });

  it('reads every key', () => {
    expect(parsePpk2Settings({ mode: 'ampere', voltage: '1.8', logic: 'D5', inferences: '10', spikefilter: 'off' })).toEqual({
      mode: 'ampere',
      voltageMv: 1800,
      logicChannel: 5,
      inferencesPerMarker: 10,
      spikeFilter: false,
    });
    expect(parsePpk2Settings({ logic: 'off' }).logicChannel).toBeNull();
  });

  it('refuses values out of range or unknown keys, naming the key and what it takes', () => {
    expect(() => parsePpk2Settings({ voltage: '6' })).toThrow(/ppk2 voltage=6: expected volts, .*0.8–5, 1 mV steps/);
    expect(() => parsePpk2Settings({ voltage: '3300' })).toThrow(ConfigError);
    expect(() => parsePpk2Settings({ voltage: '3.3001' })).toThrow(ConfigError);
    expect(parsePpk2Settings({ voltage: '0.8' }).voltageMv).toBe(800);
    expect(parsePpk2Settings({ voltage: '5' }).voltageMv).toBe(5000);
    expect(() => parsePpk2Settings({ mode: 'smu' })).toThrow(/mode=smu: expected source .* or ampere/);
    expect(() => parsePpk2Settings({ logic: 'D8' })).toThrow(/logic=D8: expected .*D0–D7/);
    expect(() => parsePpk2Settings({ inferences: '0' })).toThrow(/inferences=0/);
    expect(() => parsePpk2Settings({ rate: '1000' })).toThrow(/driver ppk2 has no setting "rate" \(known: mode, voltage, logic, inferences, spikefilter\)/);
  });
});
