/**
 * `simulate ppk2`: a Nordic Power Profiler Kit II on a pseudo-terminal (src/sim/ppk2), measuring a duty-cycled DUT
 * whose busy GPIO is wired to a logic input. Read it with `measure --instrument ppk2 <path>` or `serve --serial
 * <path>,driver=ppk2`. At exit it prints the truth: what it wrote, and the energy of it.
 */
import { openSimulatorPort } from '../simulator-port.js';
import { ValidationError } from '../../domain/errors.js';
import { parseDurationS } from '../../domain/quantity.js';
import { parsePpk2Metadata } from '../../ingest/serial/drivers/ppk2/metadata.js';
import { DEFAULT_PPK2_PROFILE, nominalAverageCurrentA, type Ppk2CurrentProfile } from '../../sim/ppk2/current-profile.js';
import { PPK2_EXAMPLE_METADATA } from '../../sim/ppk2/example-metadata.js';
import { Ppk2Simulator } from '../../sim/ppk2/ppk2-simulator.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { integerOption, numberOption } from '../options.js';

const P = DEFAULT_PPK2_PROFILE;

export const simulatePpk2Command: CliCommand = defineCommand({
  name: 'simulate ppk2',
  description:
    'Speaks the PPK2 protocol byte for byte (metadata until END, raw opcodes, 4-byte samples at 100 kS/s).\n' +
    'Without --path, creates a pseudo-terminal pair with socat and prints the path to measure\n' +
    '(tinyml-footprint measure --instrument ppk2 <that path>).',
  positionals: true,
  options: {
    path: { type: 'string', value: '<p>', help: 'serve this existing port / pty instead of creating a pair' },
    'sleep-ua': { type: 'string', value: '<n>', default: String(P.sleepCurrentA * 1e6), help: 'sleep current, µA' },
    'burst-ma': { type: 'string', value: '<n>', default: String(P.burstCurrentA * 1e3), help: 'inference current, mA' },
    'burst-ms': { type: 'string', value: '<n>', default: String(P.burstSamples / 100), help: 'inference length, ms (10 µs steps)' },
    'period-ms': { type: 'string', value: '<n>', default: String(P.periodSamples / 100), help: 'one inference every this long, ms' },
    logic: { type: 'string', value: '<Dn>', default: `D${P.logicChannel}`, help: 'the logic input high during an inference' },
    noise: { type: 'string', value: '<x>', default: String(P.noiseFraction), help: '± uniform noise, fraction of the current' },
    'supply-mv': { type: 'string', value: '<n>', default: String(P.ampereSupplyMv), help: "the DUT's own supply in ampere mode, mV (truth only)" },
    'drop-every': { type: 'string', value: '<n>', default: '0', help: 'every n samples, leave --drop-samples out (counter gaps)' },
    'drop-samples': { type: 'string', value: '<n>', default: '0', help: 'samples left out each time' },
    seed: { type: 'string', value: '<n>', default: String(P.seed), help: 'noise seed' },
    duration: { type: 'string', value: '<d>', default: 'until Ctrl-C', help: 'how long to serve, e.g. 30s' },
    json: { type: 'boolean', help: 'at exit, print the truth as one JSON line on stdout' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new ValidationError('usage: simulate ppk2 [options] (see --help)');
    const logic = /^D([0-7])$/i.exec(values.logic ?? `D${P.logicChannel}`);
    if (logic === null) throw new ValidationError(`--logic must be D0–D7, got "${values.logic}"`);
    const profile: Ppk2CurrentProfile = {
      sleepCurrentA: (numberOption('sleep-ua', values['sleep-ua']) ?? P.sleepCurrentA * 1e6) / 1e6,
      burstCurrentA: (numberOption('burst-ma', values['burst-ma']) ?? P.burstCurrentA * 1e3) / 1e3,
      burstSamples: Math.round((numberOption('burst-ms', values['burst-ms']) ?? P.burstSamples / 100) * 100),
      periodSamples: Math.round((numberOption('period-ms', values['period-ms']) ?? P.periodSamples / 100) * 100),
      inferencesPerBurst: 1,
      logicChannel: Number(logic[1]),
      noiseFraction: numberOption('noise', values.noise) ?? P.noiseFraction,
      seed: integerOption('seed', values.seed, 0) ?? P.seed,
      ampereSupplyMv: numberOption('supply-mv', values['supply-mv']) ?? P.ampereSupplyMv,
    };
    const problems: string[] = [];
    if (!(profile.sleepCurrentA >= 0) || !(profile.burstCurrentA >= 0)) problems.push('currents must be ≥ 0');
    if (!(profile.burstSamples >= 1 && profile.burstSamples < profile.periodSamples)) problems.push('need 10 µs ≤ --burst-ms < --period-ms');
    if (!(profile.noiseFraction >= 0 && profile.noiseFraction < 1)) problems.push('--noise must be in [0, 1)');
    if (problems.length > 0) throw new ValidationError('invalid profile', problems);
    const dropEverySamples = integerOption('drop-every', values['drop-every'], 0) ?? 0;
    const dropSamples = integerOption('drop-samples', values['drop-samples'], 0) ?? 0;
    const durationMs = values.duration === undefined ? undefined : parseDurationS(values.duration) * 1000;

    const port = await openSimulatorPort(values.path, { dirPrefix: 'tinyml-ppk2-', device: 'kit', reader: 'ttyPPK2' });
    const path = port.path;
    process.stderr.write(
      `simulating a PPK2: ${profile.sleepCurrentA * 1e6} µA sleep, ${profile.burstCurrentA * 1e3} mA for ${profile.burstSamples / 100} ms ` +
        `every ${profile.periodSamples / 100} ms (D${profile.logicChannel} high meanwhile) → nominal average ` +
        `${(nominalAverageCurrentA(profile) * 1e6).toFixed(2)} µA\n`,
    );
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = durationMs === undefined ? null : setTimeout(onSignal, durationMs);
    const simulator = new Ppk2Simulator({ profile, modifiers: parsePpk2Metadata(PPK2_EXAMPLE_METADATA).modifiers, dropEverySamples, dropSamples });
    try {
      await simulator.serve(path, abort.signal);
    } finally {
      if (timer !== null) clearTimeout(timer);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await port.close();
    }
    const truth = simulator.truth;
    process.stderr.write(
      `wrote ${truth.samplesWritten} samples (${truth.samplesStalled} lost while nobody read the port, ${truth.samplesDropped} left out on purpose), ` +
        `${truth.bursts} inferences, ${truth.energyJ.toFixed(6)} J\n`,
    );
    if (values.json === true) {
      const periods = [...truth.periodEnergyJ].sort((a, b) => a - b);
      const { periodEnergyJ: _periods, ...rest } = truth;
      const medianPeriodJ = periods.length === 0 ? null : periods[periods.length >> 1]!;
      process.stdout.write(`${JSON.stringify({ ...rest, wholePeriods: periods.length, medianPeriodEnergyJ: medianPeriodJ })}\n`);
    }
    return 0;
  },
});
