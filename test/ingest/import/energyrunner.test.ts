import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/domain/errors.js';
import { parseImport } from '../../../src/ingest/import/detect.js';
import { decodeTrace, parseResultsTxt, parseSessionLog, parseTimestamps, sessionStartMs } from '../../../src/ingest/import/energyrunner.js';
import type { ImportFile } from '../../../src/ingest/import/import-types.js';
import { medianEnergyPerInference } from '../../../src/model/energy-per-inference.js';
import { energyRunnerSession } from '../../helpers/energyrunner-session.js';

// Five MLPerf Tiny windows (the runner's `loop 5`), each ~11 s of 160 inferences at 1 kHz, energies near the
// tiny_results_v0.7 example (11 195.658 µJ/inf.), one window an outlier the median must ignore.
const WINDOWS = [11_195.658, 11_201.2, 11_198.4, 13_500, 11_200.203].map((energyPerInferenceUJ) => ({
  inferences: 160,
  energyPerInferenceUJ,
  inferenceSamples: 70,
}));

function replace(files: readonly ImportFile[], name: string, bytes: Uint8Array): ImportFile[] {
  return files.map((file) => (file.name === name ? { name, bytes } : file));
}
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('EnergyRunner trace import (instruments.md §1.5)', () => {
  const session = energyRunnerSession({ windows: WINDOWS });
  const traceFiles = session.files.filter((file) => file.name !== 'results.txt');

  it('gives µJ/inference within 0.1 % of the known truth, per window and as the median', () => {
    const run = parseImport(traceFiles);
    expect(run).toMatchObject({ format: 'energyrunner-trace', instrument: 'lpm01a', samplePeriodS: 0.001 });
    expect(run.windows).toHaveLength(5);
    run.windows.forEach((window, i) => {
      expect(window).toMatchObject({ inferenceCount: 160, span: 'inferences', sampleCount: 160 * 70, durationS: 11.2 });
      const perInferenceUJ = (window.energyJ * 1e6) / window.inferenceCount;
      expect(Math.abs(perInferenceUJ / session.perWindowUJ[i]! - 1)).toBeLessThan(1e-3);
      // float32 samples summed in double: far inside 0.1 % (an off-by-one sample would be ~0.5 % of an inference).
      expect(Math.abs(perInferenceUJ / session.perWindowUJ[i]! - 1)).toBeLessThan(1e-6);
    });
    const median = medianEnergyPerInference(run.windows)!;
    expect(median.basis).toBe('per-window-median');
    expect(Math.abs((median.energyPerInferenceJ * 1e6) / session.medianUJ - 1)).toBeLessThan(1e-3);
    expect(median.energyPerInferenceJ * 1e6).toBeCloseTo(11_200.203, 2); // the outlier (13 500) is not the median
    // Idle between the windows is outside them: the windows' power is the bursts' alone.
    expect(run.windows[0]!.offsetMs).toBe(session.timestamps[1]! * 1000);
    expect(run.windows[0]!.minPowerW).toBeGreaterThan(0.005 * 1.1);
  });

  it('reads the rate from the header (a 10 kHz trace) and the monitor from the log (js220; an unknown one is noted)', () => {
    const fast = energyRunnerSession({ rateHz: 10_000, windows: WINDOWS.slice(0, 3), emon: 'js220' });
    const run = parseImport(fast.files.filter((file) => file.name !== 'results.txt'));
    expect(run).toMatchObject({ instrument: 'js220', samplePeriodS: 1e-4 });
    expect(run.windows[0]!.durationS).toBeCloseTo(1.12, 12);
    const other = parseImport(energyRunnerSession({ windows: WINDOWS.slice(0, 1), emon: 'n6705' }).files.filter((f) => f.name !== 'results.txt'));
    expect(other.instrument).toBeUndefined();
    expect(other.notes.join(' ')).toMatch(/n6705/);
  });

  it('refuses a trace cut inside a sample, or before the last marker, whole', () => {
    const bin = traceFiles.find((file) => file.name === 'trace1-energy.bin')!.bytes;
    expect(() => parseImport(replace(traceFiles, 'trace1-energy.bin', bin.subarray(0, bin.length - 2)))).toThrow(/truncated.*cut inside a sample/);
    // Whole samples, but the file stops inside window 5.
    const cut = bin.subarray(0, 5 + 4 * Math.round(session.timestamps[9]! * 1000 + 100));
    expect(() => parseImport(replace(traceFiles, 'trace1-energy.bin', cut))).toThrow(/truncated: window 5 ends at/);
  });

  it('names what it expected: wrong magic, bad rate, bad timestamps, a log that does not match, missing files', () => {
    const bin = Uint8Array.from(traceFiles.find((file) => file.name === 'trace1-energy.bin')!.bytes);
    expect(() => decodeTrace(Uint8Array.of(0x54, 0x4d, 0x46, 0x31, 0x20))).toThrow(/expected the byte 0xF1, then a float32 LE sample rate/);
    const badRate = Uint8Array.from(bin);
    new DataView(badRate.buffer).setFloat32(1, Number.NaN, true);
    expect(() => decodeTrace(badRate)).toThrow(/sample rate/);
    expect(() => parseTimestamps('{"a":1}')).toThrow(/array of non-negative seconds/);
    expect(() => parseTimestamps('[0.1, 1, 2, 3]')).toThrow(/odd count/);
    expect(() => parseTimestamps('[0.1, 2, 1]')).toThrow(/before the one before it/);
    expect(() => parseTimestamps('not json')).toThrow(ValidationError);
    const shortLog = 'parser: Command "io dut infer 160 1"\n';
    expect(() => parseImport(replace(traceFiles, 'log.txt', text(shortLog)))).toThrow(/names 1 inference runs.*give 5 windows/);
    expect(() => parseImport(traceFiles.filter((file) => file.name !== 'log.txt'))).toThrow(/needs trace1-timestamps.json .* and the session's log.txt/);
    expect(() => parseImport([{ name: 'notes.md', bytes: text('# hello') }])).toThrow(
      /not an import this service reads \(notes.md\): expected an EnergyRunner session folder/,
    );
  });

  it('parses the session log and the session folder time', () => {
    expect(
      parseSessionLog('x m-regfile-fn[trace1-energy.bin]-type[emon]-name[lpm01a]\nparser: Command "io dut infer 10 1"\nparser: Command "io dut infer 20 1"'),
    ).toEqual({
      inferences: [10, 20],
      instrument: 'lpm01a',
      emon: 'lpm01a',
    });
    expect(sessionStartMs('20250612_122741')).toBe(Date.UTC(2025, 5, 12, 12, 27, 41));
    expect(sessionStartMs('energy')).toBeNull();
    expect(parseImport(traceFiles, {}, '20250612_122741').startMs).toBe(Date.UTC(2025, 5, 12, 12, 27, 41));
  });
});

describe('EnergyRunner results.txt import', () => {
  it('reads the published example: 1 791 305.300 µJ over 11.27 s at 11 195.658 µJ/inf. is 160 inferences', () => {
    const run = parseResultsTxt(
      [
        '00198.848 ulp-ml: Energy data for window 2 at time 11.20 for 11.27 sec.:',
        '00198.848 ulp-ml:   Energy       :  1791305.300 uJ',
        '00198.848 ulp-ml:   Power        :   159001.003 uW',
        '00198.848 ulp-ml:   Energy/Inf.  :    11195.658 uJ/inf.',
        '00198.887 ulp-ml: Median energy cost is 11200.203 uJ/inf.',
      ].join('\r\n'),
    );
    expect(run.windows).toEqual([
      { offsetMs: 11_200, durationS: 11.27, energyJ: 1.7913053, sampleCount: 0, minPowerW: null, maxPowerW: null, inferenceCount: 160, span: 'inferences' },
    ]);
  });

  it('a session without its trace imports results.txt; its median matches the trace’s', () => {
    const session = energyRunnerSession({ windows: WINDOWS });
    const run = parseImport(session.files.filter((file) => file.name === 'results.txt' || file.name === 'log.txt'));
    expect(run.format).toBe('energyrunner-results');
    expect(medianEnergyPerInference(run.windows)!.energyPerInferenceJ * 1e6).toBeCloseTo(session.medianUJ, 2);
  });

  it('refuses a results.txt cut after a window header, and one without windows', () => {
    expect(() => parseResultsTxt('00198.848 ulp-ml: Energy data for window 2 at time 11.20 for 11.27 sec.:\n')).toThrow(/lacks its "Energy/);
    expect(() => parseResultsTxt('nothing here')).toThrow(/no "ulp-ml: Energy data for window/);
  });
});
