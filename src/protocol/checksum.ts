/** NMEA-style checksum: XOR of every byte strictly between `$` and `*`, written as two uppercase hex digits. */
export function xorChecksum(text: string, start = 0, end = text.length): number {
  let sum = 0;
  for (let i = start; i < end; i += 1) sum ^= text.charCodeAt(i);
  return sum;
}

const HEX = '0123456789ABCDEF';

export function hex2(value: number): string {
  return HEX.charAt((value >> 4) & 0xf) + HEX.charAt(value & 0xf);
}

/** Wrap a body (`TMF1,S,...`) into a full line without terminator: `$<body>*hh`. */
export function frameLine(body: string): string {
  return `$${body}*${hex2(xorChecksum(body))}`;
}
