import { describe, expect, it } from 'vitest';
import { MAX_METADATA_BYTES, MetadataCollector, Ppk2MetadataError, parsePpk2Metadata } from '../../../../../src/ingest/serial/drivers/ppk2/metadata.js';
import { PPK2RS_METADATA } from './vectors.js';

describe('parsePpk2Metadata', () => {
  it('reads every calibration value, VDD, HW and mode of the ppk2-rs block', () => {
    const metadata = parsePpk2Metadata(PPK2RS_METADATA);
    expect(metadata.calibrated).toBe(false);
    expect(metadata.vddMv).toBe(3741);
    expect(metadata.hardware).toBe(9173);
    expect(metadata.mode).toBe('source');
    expect(metadata.modifiers.r).toEqual([1003.3506, 101.5865, 10.3027, 0.9636, 0.0564]);
    expect(metadata.modifiers.gs).toEqual([0, 112.789, 18.0115, 2.4217, 0.0729]);
    expect(metadata.modifiers.gi).toEqual([1, 0.9695, 0.9609, 0.9519, 0.9582]);
    expect(metadata.modifiers.o).toEqual([112.942, 75.4627, 64.602, 50.4983, 87.2177]);
    expect(metadata.modifiers.s).toEqual([0.000000048, 0.000000596, 0.000005281, 0.000062577, 0.002940743]);
    expect(metadata.modifiers.i).toEqual([-0.000000104, -0.000001443, 0.000036439, -0.000374119, -0.009388455]);
    expect(metadata.modifiers.ug).toEqual([1, 1, 1, 1, 1]);
    expect(metadata.defaulted).toEqual([]);
    expect(metadata.raw.ia).toBe(56);
  });

  it('falls back to Nordic defaults for -nan and missing values, and for R of 0 (IRNAS)', () => {
    const text = PPK2RS_METADATA.replace('R2: 10.3027', 'R2: 0')
      .replace('GI3: 0.9519', 'GI3: -nan')
      .replace(/^UG4: .*\n/m, '');
    const metadata = parsePpk2Metadata(text);
    expect(metadata.modifiers.r[2]).toBe(10.15);
    expect(metadata.modifiers.gi[3]).toBe(1);
    expect(metadata.modifiers.ug[4]).toBe(1);
    expect(metadata.defaulted).toEqual(['R2', 'GI3', 'UG4']);
  });

  it('accepts CRLF line ends and keys it does not use (newer firmware)', () => {
    const metadata = parsePpk2Metadata(PPK2RS_METADATA.replace('IA: 56\n', 'IA: 56\nSampleRate: 100000\n').replace(/\n/g, '\r\n'));
    expect(metadata.vddMv).toBe(3741);
    expect(metadata.raw.samplerate).toBe(100000);
  });

  it('refuses what no PPK2 sends, naming what was expected', () => {
    expect(() => parsePpk2Metadata('$TMF1,H,board-1*2A\nEND\n')).toThrow(/line 1 is "\$TMF1,H,board-1\*2A".*expected `Key: value` lines.*END/);
    expect(() => parsePpk2Metadata('VDD: 3000\nHW: lots\nEND\n')).toThrow(/line 2 \(HW\) has the value "lots", not a number/);
    expect(() => parsePpk2Metadata('VDD: 3000\n')).toThrow(/no END line/);
    expect(() => parsePpk2Metadata('HW: 9173\nEND\n')).toThrow(/no VDD line/);
    expect(() => parsePpk2Metadata('VDD: 3000\nmode: 7\nEND\n')).toThrow(/mode is 7/);
    expect(() => parsePpk2Metadata('VDD: 3000\nmode: 7\nEND\n')).toThrow(Ppk2MetadataError);
  });
});

describe('MetadataCollector', () => {
  it('collects a block split across reads, one byte at a time', () => {
    const collector = new MetadataCollector();
    const bytes = Buffer.from(PPK2RS_METADATA, 'latin1');
    for (let k = 0; k < bytes.length - 1; k += 1) expect(collector.push(bytes.subarray(k, k + 1))).toBeNull();
    const result = collector.push(bytes.subarray(bytes.length - 1)); // END's newline
    expect(result?.metadata.vddMv).toBe(3741);
    expect(result?.rest.length).toBe(0);
  });

  it('hands back the bytes after END (the start of what the kit sends next)', () => {
    const collector = new MetadataCollector();
    const bytes = Buffer.concat([Buffer.from(PPK2RS_METADATA, 'latin1'), Buffer.from([0xe8, 0x43])]);
    expect(collector.push(bytes.subarray(0, 100))).toBeNull();
    const result = collector.push(bytes.subarray(100));
    expect(result?.metadata.hardware).toBe(9173);
    expect([...(result?.rest ?? [])]).toEqual([0xe8, 0x43]);
  });

  it('refuses binary bytes at once (a sample stream, another device), quoting what came before', () => {
    const collector = new MetadataCollector();
    expect(collector.push(Buffer.from('Calibrated: 0\nR0: 10'))).toBeNull();
    expect(() => collector.push(Buffer.from([0x00, 0x41]))).toThrow(/byte 0x00 at offset 20 after "Calibrated: 0\\nR0: 10"/);
  });

  it('refuses text without END once MAX_METADATA_BYTES have passed (a chatty device is bounded)', () => {
    const collector = new MetadataCollector();
    const line = Buffer.from('Key: 1\n');
    let error: unknown = null;
    try {
      for (let k = 0; k * line.length <= MAX_METADATA_BYTES + line.length; k += 1) collector.push(line);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Ppk2MetadataError);
    expect(String(error)).toMatch(/bytes without an END line/);
    expect(collector.bytesSeen).toBeGreaterThan(MAX_METADATA_BYTES);
    expect(collector.bytesSeen).toBeLessThanOrEqual(MAX_METADATA_BYTES + line.length);
  });
});

describe('MetadataCollector line by line', () => {
  it("fails at another device's first complete line, not 4 KiB later", () => {
    const collector = new MetadataCollector();
    expect(collector.push(Buffer.from('$TMF1,S,1000,'))).toBeNull();
    expect(() => collector.push(Buffer.from('2500*3F\r\n$TMF1,S,2000,2400*3A\r\n'))).toThrow(/line 1 is "\$TMF1,S,1000,2500\*3F".*expected `Key: value` lines/);
  });
});
