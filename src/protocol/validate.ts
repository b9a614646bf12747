/** Field checks shared by the line and JSON parsers. Each returns an error detail string, or null when valid. */
import { DEVICE_ID_PATTERN, MAX_DEVICE_ID_CHARS, MAX_LABEL_CHARS } from './limits.js';

/** Printable ASCII 0x21..0x7E except , * $ " \ (framing and JSON-escaping characters). */
const LABEL_PATTERN = new RegExp(`^[\\x21\\x23\\x25-\\x29\\x2B\\x2D-\\x5B\\x5D-\\x7E]{1,${MAX_LABEL_CHARS}}$`);

export function checkDeviceId(value: string): string | null {
  return DEVICE_ID_PATTERN.test(value) ? null : `device id must match [A-Za-z0-9_.-]{1,${MAX_DEVICE_ID_CHARS}}`;
}

export function checkLabel(name: string, value: string): string | null {
  return LABEL_PATTERN.test(value) ? null : `${name} must be 1..${MAX_LABEL_CHARS} printable ASCII chars without space , * $ " \\`;
}

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}
