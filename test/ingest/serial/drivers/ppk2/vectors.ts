/** PPK2 test vectors (instruments.md §3): the ppk2-rs metadata block and its calibration example, and a word encoder. */

/** hdoordt/ppk2-rs `measurement.rs` test: a real kit's metadata (VDD 3741 mV, source mode). */
export const PPK2RS_METADATA = `Calibrated: 0
R0: 1003.3506
R1: 101.5865
R2: 10.3027
R3: 0.9636
R4: 0.0564
GS0: 0.0000
GS1: 112.7890
GS2: 18.0115
GS3: 2.4217
GS4: 0.0729
GI0: 1.0000
GI1: 0.9695
GI2: 0.9609
GI3: 0.9519
GI4: 0.9582
O0: 112.9420
O1: 75.4627
O2: 64.6020
O3: 50.4983
O4: 87.2177
VDD: 3741
HW: 9173
mode: 2
S0: 0.000000048
S1: 0.000000596
S2: 0.000005281
S3: 0.000062577
S4: 0.002940743
I0: -0.000000104
I1: -0.000001443
I2: 0.000036439
I3: -0.000374119
I4: -0.009388455
UG0: 1.00
UG1: 1.00
UG2: 1.00
UG3: 1.00
UG4: 1.00
IA: 56
END
`;

export interface WordFields {
  adc: number;
  range: number;
  counter: number;
  logic?: number;
}

/** The 32-bit sample word, written independently of the decoder's masks (bit positions from the reference). */
export function word({ adc, range, counter, logic = 0 }: WordFields): number {
  return (adc + range * 2 ** 14 + (counter % 64) * 2 ** 18 + logic * 2 ** 24) >>> 0;
}

/** Little-endian bytes of consecutive words. */
export function wordBytes(words: readonly number[]): Buffer {
  const bytes = Buffer.alloc(words.length * 4);
  words.forEach((value, index) => bytes.writeUInt32LE(value, index * 4));
  return bytes;
}

/** `count` words of one adc/range with counters from `firstCounter`. */
export function run(count: number, firstCounter: number, fields: Omit<WordFields, 'counter'> = { adc: 1000, range: 1 }): number[] {
  return Array.from({ length: count }, (_, k) => word({ ...fields, counter: (firstCounter + k) % 64 }));
}
