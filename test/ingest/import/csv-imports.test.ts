import { describe, expect, it } from 'vitest';
import { parseImport } from '../../../src/ingest/import/detect.js';
import { JOULESCOPE_HEADER, parseJoulescopeCsv } from '../../../src/ingest/import/joulescope-csv.js';
import { parsePpkCsv } from '../../../src/ingest/import/ppk-csv.js';

const file = (name: string, content: string) => ({ name, bytes: new TextEncoder().encode(content) });

describe('nRF Power Profiler CSV export', () => {
  // 25 s at 100 Hz (10 ms steps, the export's Timestamp(ms) column): 1 000 µA, with a 10 000 µA burst in every 100th row.
  const rows = Array.from({ length: 2_500 }, (_, i) => `${(i * 10).toFixed(2)},${(i % 100 === 0 ? 10_000 : 1_000).toFixed(3)},10100010,1,0,1,0,0,0,1,0`);
  const csv = ['Timestamp(ms),Current(uA),D0-D7,D0,D1,D2,D3,D4,D5,D6,D7', ...rows].join('\n') + '\n';

  it('integrates current × the given voltage over each row’s step, in 10 s windows', () => {
    const run = parsePpkCsv(csv, { voltageV: 3 });
    expect(run).toMatchObject({ format: 'ppk-csv', instrument: 'ppk2', samplePeriodS: 0.01 });
    expect(run.windows.map((w) => [w.offsetMs, w.sampleCount])).toEqual([
      [0, 1000],
      [10_000, 1000],
      [20_000, 500],
    ]);
    // Window 1: 990 rows at 1 mA and 10 at 10 mA, 10 ms each, at 3 V: (990·1e-3 + 10·1e-2) · 3 · 0.01 J.
    expect(run.windows[0]!.energyJ).toBeCloseTo((990 * 1e-3 + 10 * 1e-2) * 3 * 0.01, 12);
    expect(run.windows[0]!.durationS).toBeCloseTo(10, 9);
    expect(run.windows[0]).toMatchObject({ minPowerW: 0.003, maxPowerW: 0.03, span: 'time', inferenceCount: 0 });
  });

  it('needs the supply voltage, and refuses a cut row whole', () => {
    expect(() => parseImport([file('ppk.csv', csv)])).toThrow(/current only: give the supply voltage/);
    expect(() => parsePpkCsv(csv + '250', { voltageV: 3 })).toThrow(/row 2502 .* not "<ms>,<µA>,…".*truncated/);
    expect(parseImport([file('ppk.csv', csv)], { voltageV: 1.8 }).format).toBe('ppk-csv');
  });
});

describe('Joulescope statistics CSV', () => {
  // JS220 at 2 statistics blocks a second: 500 000 raw samples a block; 0.5 W then 1 W.
  const rows = Array.from({ length: 41 }, (_, i) => {
    const powerW = i <= 20 ? 0.5 : 1;
    const energyJ = i <= 20 ? 0.25 * i : 5 + 0.5 * (i - 20);
    return ['u/js220/002557', 500_000 * (i + 1), 0.1, 0, 0.1, 0.1, 5, 0, 5, 5, powerW, 0, powerW * 0.9, powerW * 1.1, 0, energyJ].join(',');
  });
  const csv = [JOULESCOPE_HEADER, ...rows].join('\n');

  it('takes block energy from the accumulator and time from sampled_id at the JS220 raw rate', () => {
    const run = parseJoulescopeCsv(csv);
    expect(run).toMatchObject({ format: 'joulescope-csv', instrument: 'js220', samplePeriodS: null });
    expect(run.windows.map((w) => [w.offsetMs, w.durationS, w.energyJ])).toEqual([
      [0, 10, 5],
      [10_000, 10, 10],
    ]);
    expect(run.windows[1]).toMatchObject({ minPowerW: 0.9, maxPowerW: 1.1 });
    expect(parseImport([file('stats.csv', csv)]).format).toBe('joulescope-csv');
  });

  it('refuses an unknown device path, a restarted accumulator and a cut row', () => {
    expect(() => parseJoulescopeCsv(csv.replaceAll('u/js220/', 'u/js999/'))).toThrow(/expected a JS110 or JS220 path/);
    expect(() => parseJoulescopeCsv([JOULESCOPE_HEADER, rows[5], rows[3]].join('\n'))).toThrow(/sampled_id does not increase|accumulator goes back/);
    expect(() => parseJoulescopeCsv([JOULESCOPE_HEADER, ...rows.slice(0, 3), 'u/js220/002557,2000000,0.1'].join('\n'))).toThrow(/row 5 .* columns .*truncated/);
  });
});
