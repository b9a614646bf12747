/**
 * ST X-NUCLEO-LPM01A PowerShield values (UM2269 Rev 6 §4.2–4.4; shared/reference/instruments.md §2). Pure.
 *
 * - ASCII sample (`format ascii_dec`): 4-digit mantissa, sign, 2-digit decimal exponent: `6409-07` = 6409·10⁻⁷
 *   = 640.9 µA (amperes in `output current`, joules per sample period in `output energy`).
 * - Binary sample (`format bin_hexa`): a big-endian 16-bit word, high nibble = negative power of 16, low 12 bits the
 *   value: `52A0` = 0x2A0·16⁻⁵ = 640.9 µA. Exponent 0xF is reserved for metadata (F0 Fx … FF FF).
 */

/** One ASCII sample: `\d{4}[-+]\d{2}`, 7 characters. */
export const ASCII_SAMPLE_PATTERN = /(\d{4})([-+])(\d{2})/g;
export const ASCII_SAMPLE_CHARS = 7;

/** `6409-07` → 6.409e-4; null when the text is not exactly one sample. */
export function parseAsciiSample(text: string): number | null {
  const match = /^(\d{4})([-+])(\d{2})$/.exec(text);
  if (match === null) return null;
  return asciiValue(match[1]!, match[2]!, match[3]!);
}

/** The value of a matched mantissa, sign and exponent. */
export function asciiValue(mantissa: string, sign: string, exponent: string): number {
  const power = Number(exponent) * (sign === '-' ? -1 : 1);
  // Divide by the positive power: 6409 / 1e7 is exact to the double nearest 6.409e-4, 6409 * 1e-7 is not.
  return power < 0 ? Number(mantissa) / 10 ** -power : Number(mantissa) * 10 ** power;
}

/** A binary sample word (exponent nibble 0x0–0xE) → its value; 0x52A0 → 6.409e-4 (A or J per period). */
export function decodeBinarySample(word: number): number {
  return (word & 0x0fff) / 16 ** (word >> 12);
}

/** Sampling frequencies the firmware accepts (`freq`, UM2269 Table 12), Hz, with their command spelling. */
export const LPM01A_FREQUENCIES_HZ: Readonly<Record<number, string>> = Object.freeze({
  100_000: '100k',
  50_000: '50k',
  20_000: '20k',
  10_000: '10k',
  5_000: '5k',
  2_000: '2k',
  1_000: '1k',
  500: '500',
  200: '200',
  100: '100',
  50: '50',
  20: '20',
  10: '10',
  5: '5',
  2: '2',
  1: '1',
});

/** Highest rate of an unlimited ASCII acquisition (UM2269 Table 2: ascii_dec ≤ 5 kHz unlimited; above, ≤ 1 s). */
export const LPM01A_ASCII_MAX_HZ = 5_000;
/** Supply voltage range the instrument sets (`volt 1800m..3300m`), V. */
export const LPM01A_MIN_VOLTAGE_V = 1.8;
export const LPM01A_MAX_VOLTAGE_V = 3.3;

/** 3.3 → `3300m` (millivolts, the drivers' spelling). */
export function formatVoltage(voltageV: number): string {
  return `${Math.round(voltageV * 1000)}m`;
}

/**
 * Numeric arguments as the firmware reads them: plain digits, a unit suffix (`u`, `m`, `k`) or a power-of-ten
 * suffix (`-xx`, `+xx`): `3300m` = `3300-3` = 3.3. Null when not a number.
 */
export function parseNumericArg(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(?:([umk])|([-+]\d{1,2}))?$/.exec(text.trim());
  if (match === null) return null;
  const base = Number(match[1]);
  if (match[2] !== undefined) return base * { u: 1e-6, m: 1e-3, k: 1e3 }[match[2] as 'u' | 'm' | 'k'];
  if (match[3] !== undefined) {
    const power = Number(match[3]);
    return power < 0 ? base / 10 ** -power : base * 10 ** power;
  }
  return base;
}
