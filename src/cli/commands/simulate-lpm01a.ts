import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../domain/errors.js';
import { parseDurationS } from '../../domain/quantity.js';
import { DEFAULT_DUT_PROFILE, type DutProfile } from '../../sim/lpm01a/lpm01a-model.js';
import { Lpm01aSimulator } from '../../sim/lpm01a/lpm01a-simulator.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { numberOption } from '../options.js';

export const simulateLpm01aCommand: CliCommand = defineCommand({
  name: 'simulate lpm01a',
  description:
    'An ST X-NUCLEO-LPM01A PowerShield powering a simulated board, on a pseudo-terminal pair (socat): it answers the\n' +
    'host-controlled commands (htc, volt, freq, output, format, start, stop, hrc…) and streams ASCII or binary samples\n' +
    'with D7 event markers around each run of inferences. Prints the path to open, e.g.\n' +
    '  tinyml-footprint measure --instrument lpm01a,inferences=40 <that path>\n' +
    'and at exit (Ctrl-C or --duration) what it sent: energy, average power, runs and µJ/inference.',
  positionals: false,
  options: {
    'idle-ma': { type: 'string', value: '<n>', default: String(DEFAULT_DUT_PROFILE.idleA * 1000), help: 'board current between inferences, mA' },
    'active-ma': { type: 'string', value: '<n>', default: String(DEFAULT_DUT_PROFILE.activeA * 1000), help: 'board current during an inference, mA' },
    'inference-ms': { type: 'string', value: '<n>', default: String(DEFAULT_DUT_PROFILE.inferenceS * 1000), help: 'one inference, ms' },
    inferences: { type: 'string', value: '<n>', default: String(DEFAULT_DUT_PROFILE.inferencesPerRun), help: 'inferences between two markers' },
    'idle-s': { type: 'string', value: '<n>', default: String(DEFAULT_DUT_PROFILE.idleS), help: 'idle time between runs, s' },
    duration: { type: 'string', value: '<d>', default: 'until Ctrl-C', help: 'how long to run, e.g. 30s' },
    json: { type: 'boolean', help: 'at exit, print the truth as one JSON line on stdout' },
  },
  async run({ values }) {
    const dut: DutProfile = {
      ...DEFAULT_DUT_PROFILE,
      idleA: (numberOption('idle-ma', values['idle-ma']) ?? DEFAULT_DUT_PROFILE.idleA * 1000) / 1000,
      activeA: (numberOption('active-ma', values['active-ma']) ?? DEFAULT_DUT_PROFILE.activeA * 1000) / 1000,
      inferenceS: (numberOption('inference-ms', values['inference-ms']) ?? DEFAULT_DUT_PROFILE.inferenceS * 1000) / 1000,
      inferencesPerRun: numberOption('inferences', values.inferences) ?? DEFAULT_DUT_PROFILE.inferencesPerRun,
      idleS: numberOption('idle-s', values['idle-s']) ?? DEFAULT_DUT_PROFILE.idleS,
    };
    const problems: string[] = [];
    if (!(dut.idleA >= 0 && dut.activeA >= 0 && dut.activeA <= 0.2)) problems.push('currents must be 0–200 mA (the LPM01A range)');
    if (!(dut.inferenceS > 0) || !(dut.idleS > 0)) problems.push('inference and idle times must be positive');
    if (!Number.isInteger(dut.inferencesPerRun) || dut.inferencesPerRun < 1) problems.push('inferences must be a positive integer');
    if (problems.length > 0) throw new ValidationError('invalid board profile', problems);
    const durationMs = values.duration === undefined ? null : parseDurationS(values.duration) * 1000;
    if (durationMs !== null && !(durationMs > 0)) throw new ValidationError(`--duration must be positive, got "${values.duration}"`);

    const dir = mkdtempSync(join(tmpdir(), 'tinyml-lpm01a-'));
    const simulator = new Lpm01aSimulator(dut, join(dir, 'device'), join(dir, 'ttyLPM0'));
    try {
      await simulator.start();
      process.stdout.write(`open this port: ${simulator.readerPath}\n`);
      await new Promise<void>((resolve) => {
        const end = durationMs === null ? null : setTimeout(resolve, durationMs);
        const onSignal = (): void => {
          if (end !== null) clearTimeout(end);
          resolve();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
    } finally {
      await simulator.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const truth = simulator.model.truth;
    const perInferenceUj = truth.runs.map((run) => (run.energyJ * 1e6) / run.inferences).sort((a, b) => a - b);
    const report = {
      samples: truth.samples,
      lostSamples: truth.lostSamples,
      energyJ: truth.energyJ,
      durationS: truth.durationS,
      averagePowerW: truth.durationS > 0 ? truth.energyJ / truth.durationS : null,
      runs: truth.runs.length,
      medianUjPerInference: perInferenceUj[Math.floor((perInferenceUj.length - 1) / 2)] ?? null,
      markers: truth.markers,
      errorReplies: truth.errorReplies,
      commands: truth.commands.length,
      hostControlled: simulator.model.hostControlled,
      acquiring: simulator.model.acquiring,
    };
    process.stderr.write(
      `sent ${report.samples} samples, ${report.energyJ.toFixed(6)} J over ${report.durationS.toFixed(3)} s` +
        `${report.averagePowerW === null ? '' : ` (${(report.averagePowerW * 1000).toFixed(4)} mW)`}, ${report.runs} runs` +
        `${report.medianUjPerInference === null ? '' : `, median ${report.medianUjPerInference.toFixed(3)} µJ/inference`}; ` +
        `left ${report.hostControlled ? 'in host control' : 'released'}${report.acquiring ? ', acquiring' : ''}\n`,
    );
    if (values.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  },
});
