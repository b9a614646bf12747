/**
 * A PPK2 port's instrument settings (`--serial <path>,driver=ppk2,mode=source,voltage=3.3,logic=D0`). Pure: the raw
 * `key=value` strings → typed settings, or a ConfigError naming the key and what it takes.
 */
import { ConfigError } from '../../../../domain/errors.js';
import { PPK2_LOGIC_CHANNELS } from './logic-markers.js';
import { PPK2_MAX_VOLTAGE_MV, PPK2_MIN_VOLTAGE_MV, type Ppk2Mode } from './protocol.js';

export interface Ppk2Settings {
  /** `source`: the PPK2 powers the DUT at `voltageMv`; `ampere`: the DUT has its own supply of `voltageMv`. */
  mode: Ppk2Mode;
  /** Source mode: the regulator's voltage; ampere mode: the DUT's supply (power = I × this). mV. */
  voltageMv: number;
  /** The logic input (0–7 for D0–D7) the DUT raises per inference, or null: no markers. */
  logicChannel: number | null;
  /** Inferences per rising edge of the marker input. */
  inferencesPerMarker: number;
  /** Nordic's spike filter after range switches (on in nRF Connect). */
  spikeFilter: boolean;
}

/** Source mode at 3.3 V (a typical MCU rail), markers on D0, as nRF Connect's defaults where it has them. */
export const PPK2_DEFAULT_SETTINGS: Readonly<Ppk2Settings> = Object.freeze({
  mode: 'source',
  voltageMv: 3_300,
  logicChannel: 0,
  inferencesPerMarker: 1,
  spikeFilter: true,
});

export const PPK2_SETTING_KEYS: Readonly<Record<string, string>> = Object.freeze({
  mode: 'source (the PPK2 powers the DUT; default) or ampere (the DUT has its own supply)',
  voltage: `volts, as the LPM01A's: the regulator's voltage in source mode (${PPK2_MIN_VOLTAGE_MV / 1000}–${PPK2_MAX_VOLTAGE_MV / 1000}, 1 mV steps), the DUT's supply in ampere mode; default ${PPK2_DEFAULT_SETTINGS.voltageMv / 1000}`,
  logic: 'the logic input the DUT raises per inference, D0–D7 (default D0), or off',
  inferences: 'inferences per rising edge of that input (default 1)',
  spikefilter: "on (default, as nRF Connect) or off: Nordic's smoothing of the 3 samples after a range switch",
});

export function parsePpk2Settings(raw: Readonly<Record<string, string>>): Ppk2Settings {
  const settings: Ppk2Settings = { ...PPK2_DEFAULT_SETTINGS };
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'mode':
        if (value !== 'source' && value !== 'ampere') throw settingError(key, value);
        settings.mode = value;
        break;
      case 'voltage': {
        const mv = Math.round(Number(value) * 1000);
        const isMillivoltStep = /^\d+(\.\d{1,3})?$/.test(value);
        if (!isMillivoltStep || mv < PPK2_MIN_VOLTAGE_MV || mv > PPK2_MAX_VOLTAGE_MV) throw settingError(key, value);
        settings.voltageMv = mv;
        break;
      }
      case 'logic': {
        if (value === 'off') {
          settings.logicChannel = null;
          break;
        }
        const match = /^D([0-7])$/i.exec(value);
        if (match === null || Number(match[1]) >= PPK2_LOGIC_CHANNELS) throw settingError(key, value);
        settings.logicChannel = Number(match[1]);
        break;
      }
      case 'inferences': {
        const count = Number(value);
        if (!/^\d+$/.test(value) || count < 1) throw settingError(key, value);
        settings.inferencesPerMarker = count;
        break;
      }
      case 'spikefilter':
        if (value !== 'on' && value !== 'off') throw settingError(key, value);
        settings.spikeFilter = value === 'on';
        break;
      default:
        throw new ConfigError(`serial: driver ppk2 has no setting "${key}" (known: ${Object.keys(PPK2_SETTING_KEYS).join(', ')})`);
    }
  }
  return settings;
}

function settingError(key: string, value: string): ConfigError {
  return new ConfigError(`serial: ppk2 ${key}=${value}: expected ${PPK2_SETTING_KEYS[key]}`);
}
