/**
 * A deterministic EnergyRunner session with a known energy per inference, written in the format of instruments.md
 * §1.5: `trace1-energy.bin` (0xF1, float32 LE rate, float32 LE µJ per sample), `trace1-timestamps.json` (one boundary,
 * then a start/end pair per window), the session's `log.txt` (`parser: Command "io dut infer N 1"` per window, the
 * energy monitor's name) and `results.txt` (EnergyRunner's summary). Between windows the board idles (the runner's
 * download phase); inside a window each inference is a burst whose samples sum to exactly its energy.
 */
import type { ImportFile } from '../../src/ingest/import/import-types.js';
import { mulberry32 } from '../../src/util/random.js';

export interface SessionWindowSpec {
  inferences: number;
  energyPerInferenceUJ: number;
  /** Samples one inference lasts. */
  inferenceSamples: number;
}

export interface SessionSpec {
  rateHz?: number;
  windows: readonly SessionWindowSpec[];
  /** Idle power between windows, µW. */
  idleUW?: number;
  /** Idle samples before the first boundary, between the boundary and the first window, and between windows. */
  gapSamples?: number;
  emon?: string;
  seed?: number;
}

export interface Session {
  files: ImportFile[];
  timestamps: number[];
  /** The truth: each window's µJ per inference (nominal), and their median. */
  perWindowUJ: number[];
  medianUJ: number;
  samples: Float32Array;
}

export function energyRunnerSession(spec: SessionSpec): Session {
  const rateHz = spec.rateHz ?? 1000;
  const idleUJ = (spec.idleUW ?? 5_000) / rateHz;
  const gap = spec.gapSamples ?? 500;
  const random = mulberry32(spec.seed ?? 1);
  const samples: number[] = [];
  const idle = (count: number): void => {
    for (let i = 0; i < count; i += 1) samples.push(idleUJ * (0.9 + 0.2 * random()));
  };
  const boundaries: number[] = [];
  idle(gap);
  boundaries.push(samples.length);
  for (const window of spec.windows) {
    idle(gap);
    boundaries.push(samples.length);
    for (let n = 0; n < window.inferences; n += 1) {
      // A burst: a ramp with ripple, scaled so the inference's samples sum to its energy.
      const shape = Array.from({ length: window.inferenceSamples }, (_, k) => 1 + Math.sin((Math.PI * (k + 0.5)) / window.inferenceSamples) + 0.3 * random());
      const total = shape.reduce((a, b) => a + b, 0);
      for (const s of shape) samples.push((s / total) * window.energyPerInferenceUJ);
    }
    boundaries.push(samples.length);
  }
  idle(gap);
  const timestamps = boundaries.map((index) => index / rateHz);
  const values = Float32Array.from(samples);
  const bin = new Uint8Array(5 + 4 * values.length);
  const view = new DataView(bin.buffer);
  bin[0] = 0xf1;
  view.setFloat32(1, rateHz, true);
  values.forEach((v, i) => view.setFloat32(5 + 4 * i, v, true));
  const emon = spec.emon ?? 'lpm01a';
  const log = [
    '00000.004 sequencer: m-bm-cfg-name[ulp-ml]-key[iterInfer]-val[' + (spec.windows[0]?.inferences ?? 0) + ']',
    `00000.010 sequencer: m-regfile-fn[trace1-energy.bin]-type[emon]-name[${emon}]`,
    '00000.020 parser: Command "io dut timestamp"',
    ...spec.windows.flatMap((w, i) => [
      `0000${i + 1}.000 parser: Command "io dut db load 490"`,
      `0000${i + 1}.500 parser: Command "io dut infer ${w.inferences} 1"`,
    ]),
    '',
  ].join('\n');
  const results = spec.windows.flatMap((w, i) => {
    const startS = timestamps[1 + 2 * i] as number;
    const durationS = (timestamps[2 + 2 * i] as number) - startS;
    const energyUJ = w.inferences * w.energyPerInferenceUJ;
    return [
      `00198.848 ulp-ml: Energy data for window ${i + 1} at time ${startS.toFixed(2)} for ${durationS.toFixed(2)} sec.:`,
      `00198.848 ulp-ml:   Energy       : ${energyUJ.toFixed(3).padStart(12)} uJ`,
      `00198.848 ulp-ml:   Power        : ${(energyUJ / durationS).toFixed(3).padStart(12)} uW`,
      `00198.848 ulp-ml:   Energy/Inf.  : ${w.energyPerInferenceUJ.toFixed(3).padStart(12)} uJ/inf.`,
    ];
  });
  const perWindowUJ = spec.windows.map((w) => w.energyPerInferenceUJ);
  const sorted = [...perWindowUJ].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianUJ = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const encoder = new TextEncoder();
  return {
    files: [
      { name: 'trace1-energy.bin', bytes: bin },
      { name: 'trace1-timestamps.json', bytes: encoder.encode(JSON.stringify(timestamps)) },
      { name: 'log.txt', bytes: encoder.encode(log) },
      { name: 'results.txt', bytes: encoder.encode([...results, `00198.887 ulp-ml: Median energy cost is ${medianUJ.toFixed(3)} uJ/inf.`, ''].join('\n')) },
    ],
    timestamps,
    perWindowUJ,
    medianUJ,
    samples: values,
  };
}
