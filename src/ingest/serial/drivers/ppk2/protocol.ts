/**
 * The Nordic Power Profiler Kit II's serial protocol: opcodes, the sample word, the fixed rate, and the commands the
 * driver writes. Pure: byte arrays in and out.
 *
 * Sources (instruments.md §3): NordicSemiconductor/pc-nrfconnect-ppk `src/constants.ts`, `src/device/serialDevice.ts`,
 * `abstractDevice.ts`; IRNAS/ppk2-api-python `src/ppk2_api/ppk2_api.py`; hdoordt/ppk2-rs `src/cmd.rs`, `types.rs`.
 * Commands are raw bytes; the PPK2 answers none of them except GetMetadata (text) and AverageStart (the sample stream).
 */

/** Opcodes the driver uses (Nordic `PPKCmd`). The others (triggers, LCD, user gains) are not needed to measure. */
export const PPK2_OPCODE = Object.freeze({
  averageStart: 0x06,
  averageStop: 0x07,
  deviceRunningSet: 0x0c,
  regulatorSet: 0x0d,
  setPowerMode: 0x11,
  getMetadata: 0x19,
});

/** SetPowerMode's argument: ampere meter (the DUT has its own supply) or source meter (the PPK2 supplies VOUT). */
export const PPK2_POWER_MODE = Object.freeze({ ampere: 1, source: 2 });
export type Ppk2Mode = keyof typeof PPK2_POWER_MODE;

/** USB CDC ACM ids of the PPK2 (ppk2-rs `lib.rs`, udev script; Nordic `DeviceSelector.tsx`). */
export const PPK2_USB_VENDOR_ID = '1915';
export const PPK2_USB_PRODUCT_ID = 'c00a';

/** One sample every 10 µs, fixed (Nordic `adcSamplingTimeUs = 10`): 100 kS/s, no timestamps in the stream. */
export const PPK2_SAMPLE_PERIOD_US = 10;
export const PPK2_SAMPLE_RATE_HZ = 1e6 / PPK2_SAMPLE_PERIOD_US;
/** Bytes per sample word, little-endian. */
export const PPK2_WORD_BYTES = 4;

/**
 * The sample word (Nordic `generateMask`): bits 0–13 ADC, 14–16 current range, 18–23 a 6-bit counter (+1 per sample,
 * wraps at 64), 24–31 the logic inputs D0–D7. Bit 17 is unused.
 */
export const PPK2_ADC_MASK = 0x3fff;
export const PPK2_RANGE_SHIFT = 14;
export const PPK2_RANGE_MASK = 0x7;
export const PPK2_COUNTER_SHIFT = 18;
export const PPK2_COUNTER_MASK = 0x3f;
export const PPK2_COUNTER_MODULO = 64;
export const PPK2_LOGIC_SHIFT = 24;
/** Ranges 0–4 have calibration values; 5–7 do not exist on the PPK2 (the word is not a measurement). */
export const PPK2_RANGES = 5;

/** The regulator's limits (Nordic `vddRange`, IRNAS `vdd_low`/`vdd_high`), mV. */
export const PPK2_MIN_VOLTAGE_MV = 800;
export const PPK2_MAX_VOLTAGE_MV = 5000;

export function averageStartCommand(): Uint8Array {
  return Uint8Array.of(PPK2_OPCODE.averageStart);
}

export function averageStopCommand(): Uint8Array {
  return Uint8Array.of(PPK2_OPCODE.averageStop);
}

export function getMetadataCommand(): Uint8Array {
  return Uint8Array.of(PPK2_OPCODE.getMetadata);
}

export function setPowerModeCommand(mode: Ppk2Mode): Uint8Array {
  return Uint8Array.of(PPK2_OPCODE.setPowerMode, PPK2_POWER_MODE[mode]);
}

/** DUT power on or off (VOUT in source mode, the DUT switch in ampere mode). */
export function deviceRunningCommand(isOn: boolean): Uint8Array {
  return Uint8Array.of(PPK2_OPCODE.deviceRunningSet, isOn ? 1 : 0);
}

/**
 * `[0x0D, mV >> 8, mV & 0xFF]` (Nordic `ppkUpdateRegulator`). IRNAS and ppk2-rs compute the same two bytes from an
 * 800 mV base with an offset of 32 ("[3, 32] is 800 mV"): 3·256 + 32 = 800. Out-of-range voltages are refused, not
 * clamped as those drivers do: a DUT must not get another voltage than the one asked for.
 */
export function regulatorSetCommand(voltageMv: number): Uint8Array {
  if (!Number.isInteger(voltageMv) || voltageMv < PPK2_MIN_VOLTAGE_MV || voltageMv > PPK2_MAX_VOLTAGE_MV) {
    throw new RangeError(`PPK2 regulator voltage must be a whole number of mV in ${PPK2_MIN_VOLTAGE_MV}–${PPK2_MAX_VOLTAGE_MV}, got ${voltageMv}`);
  }
  return Uint8Array.of(PPK2_OPCODE.regulatorSet, voltageMv >> 8, voltageMv & 0xff);
}
