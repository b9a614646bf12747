import { describe, expect, it } from 'vitest';
import { Ppk2Calibration } from '../../../src/ingest/serial/drivers/ppk2/calibration.js';
import { parsePpk2Metadata } from '../../../src/ingest/serial/drivers/ppk2/metadata.js';
import { Ppk2WordEncoder } from '../../../src/sim/ppk2/word-encoder.js';
import { PPK2RS_METADATA } from '../../ingest/serial/drivers/ppk2/vectors.js';

const metadata = parsePpk2Metadata(PPK2RS_METADATA);

describe('Ppk2WordEncoder', () => {
  it("encodes currents from 1 µA to 3 A in the lowest unsaturated range, read back by the driver's calibration within one ADC step", () => {
    const encoder = new Ppk2WordEncoder(metadata.modifiers, 3300);
    const calibration = Ppk2Calibration.fromMetadata(metadata, 3300);
    let lastRange = 0;
    for (const currentA of [1e-6, 5e-6, 100e-6, 600e-6, 2e-3, 8e-3, 50e-3, 300e-3, 1, 3]) {
      const { word, currentA: readA } = encoder.encode(currentA, 9, 0x41);
      const range = (word >>> 14) & 7;
      const adc = word & 0x3fff;
      expect(range).toBeGreaterThanOrEqual(lastRange);
      lastRange = range;
      expect((word >>> 18) & 63).toBe(9);
      expect(word >>> 24).toBe(0x41);
      expect(Math.abs(readA - calibration.currentA(range, adc))).toBeLessThanOrEqual(Math.abs(readA) * 1e-12);
      const step = Math.abs(calibration.currentA(range, adc + 1) - readA);
      expect(Math.abs(readA - currentA)).toBeLessThanOrEqual(step);
    }
    expect(lastRange).toBe(4);
  });
});
