import { openSimulatorPort } from '../simulator-port.js';
import { DEFAULT_SERIAL_BAUD } from '../../ingest/serial/index.js';
import { ValidationError } from '../../domain/errors.js';
import { parseDurationS } from '../../domain/quantity.js';
import { DEFAULT_PROFILE, expectedAveragePowerUw, profilePeriodUs, validateProfile } from '../../sim/serial/power-profile.js';
import type { PowerProfile } from '../../sim/serial/power-profile.js';
import { SerialSimulator } from '../../sim/serial/serial-simulator.js';
import { isDeviceId } from '../../protocol/validate.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { integerOption, numberOption } from '../options.js';

export const simulateSerialCommand: CliCommand = defineCommand({
  name: 'simulate serial',
  description:
    'Speaks firmware protocol v1 (firmware-protocol/SPEC.md) like a board with a current sensor.\n' +
    'Without --path, creates a pseudo-terminal pair with socat and prints the path a reader should open\n' +
    '(e.g. tinyml-footprint measure <that path>).',
  positionals: true,
  options: {
    path: { type: 'string', value: '<p>', help: 'write to this existing port / pty instead of creating a pair' },
    'device-id': { type: 'string', value: '<id>', default: DEFAULT_PROFILE.deviceId, help: 'device id of the hello' },
    'supply-mv': { type: 'string', value: '<n>', default: String(DEFAULT_PROFILE.supplyMv), help: 'supply voltage, mV' },
    'sleep-ua': { type: 'string', value: '<n>', default: String(DEFAULT_PROFILE.sleepUa), help: 'sleep current, µA' },
    'active-ma': { type: 'string', value: '<n>', default: String(DEFAULT_PROFILE.activeUa / 1000), help: 'burst current, mA' },
    'burst-ms': { type: 'string', value: '<n>', default: String(DEFAULT_PROFILE.burstUs / 1000), help: 'burst length, ms' },
    duty: { type: 'string', value: '<x>', default: String(DEFAULT_PROFILE.dutyCycle), help: 'active fraction 0 < x ≤ 1' },
    'sample-rate': { type: 'string', value: '<hz>', default: String(1e6 / DEFAULT_PROFILE.samplePeriodUs), help: 'samples per second' },
    'noise-ua': { type: 'string', value: '<n>', default: '0', help: '± uniform noise, µA' },
    'checksum-error-rate': { type: 'string', value: '<x>', default: '0', help: 'fraction of sample lines corrupted' },
    'drop-rate': { type: 'string', value: '<x>', default: '0', help: 'fraction of writes (100 samples each) left out, like lines a slow host lost' },
    'no-events': { type: 'boolean', help: 'no inference begin/end events' },
    'device-window': { type: 'string', value: '<d>', default: 'samples only', help: 'also send on-device W windows this long, e.g. 10s' },
    'start-us': { type: 'string', value: '<n>', help: 'first device timestamp (e.g. 4294000000 to cross the µs wrap soon)' },
    seed: { type: 'string', value: '<n>', default: String(DEFAULT_PROFILE.seed), help: 'noise / corruption seed' },
    duration: { type: 'string', value: '<d>', default: 'until Ctrl-C', help: 'device-time length, e.g. 30s, 10m' },
    'rate-limit': { type: 'string', value: '<mode>', default: 'realtime', help: 'realtime | none (as fast as the link drains)' },
    baud: { type: 'string', value: '<n>', default: String(DEFAULT_SERIAL_BAUD), help: 'serial baud rate (bits/s)' },
    json: { type: 'boolean', help: 'at exit, print what was sent as one JSON line on stdout' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new ValidationError('usage: simulate serial [options] (see --help)');
    const sampleRateHz = numberOption('sample-rate', values['sample-rate']) ?? 1e6 / DEFAULT_PROFILE.samplePeriodUs;
    const profile: PowerProfile = {
      deviceId: values['device-id'] ?? DEFAULT_PROFILE.deviceId,
      supplyMv: numberOption('supply-mv', values['supply-mv']) ?? DEFAULT_PROFILE.supplyMv,
      sleepUa: Math.round(numberOption('sleep-ua', values['sleep-ua']) ?? DEFAULT_PROFILE.sleepUa),
      activeUa: Math.round((numberOption('active-ma', values['active-ma']) ?? DEFAULT_PROFILE.activeUa / 1000) * 1000),
      burstUs: Math.round((numberOption('burst-ms', values['burst-ms']) ?? DEFAULT_PROFILE.burstUs / 1000) * 1000),
      dutyCycle: numberOption('duty', values.duty) ?? DEFAULT_PROFILE.dutyCycle,
      samplePeriodUs: Math.round(1e6 / sampleRateHz),
      noiseUa: numberOption('noise-ua', values['noise-ua']) ?? 0,
      checksumErrorRate: numberOption('checksum-error-rate', values['checksum-error-rate']) ?? 0,
      inferenceEvents: values['no-events'] !== true,
      startUs: (numberOption('start-us', values['start-us']) ?? 0) % 2 ** 32,
      seed: numberOption('seed', values.seed) ?? DEFAULT_PROFILE.seed,
      deviceWindowUs: values['device-window'] === undefined ? 0 : Math.round(parseDurationS(values['device-window']) * 1e6),
    };
    const problems = validateProfile(profile);
    if (!isDeviceId(profile.deviceId)) problems.push('device id must match [A-Za-z0-9_.-]{1,64}');
    const dropRate = numberOption('drop-rate', values['drop-rate']) ?? 0;
    if (!(dropRate >= 0 && dropRate < 1)) problems.push('drop rate must be in [0, 1)');
    if (problems.length > 0) throw new ValidationError('invalid profile', problems);
    const rateLimit = values['rate-limit'] ?? 'realtime';
    if (rateLimit !== 'realtime' && rateLimit !== 'none') throw new ValidationError('--rate-limit must be realtime or none');
    const durationUs = values.duration === undefined ? undefined : parseDurationS(values.duration) * 1e6;
    if (durationUs !== undefined && !(durationUs > 0)) throw new ValidationError(`--duration must be positive, got "${values.duration}"`);
    // Checked before the pty exists: a bad baud rate must not leave a pair (or its temp dir) behind.
    const baudRate = integerOption('baud', values.baud, 1) ?? DEFAULT_SERIAL_BAUD;

    const port = await openSimulatorPort(values.path, { dirPrefix: 'tinyml-sim-', device: 'device', reader: 'ttyTMF0' });
    const path = port.path;
    process.stderr.write(
      `simulating ${profile.deviceId}: ${profile.sleepUa} µA sleep, ${profile.activeUa / 1000} mA bursts of ${profile.burstUs / 1000} ms ` +
        `every ${profilePeriodUs(profile) / 1000} ms at ${profile.supplyMv} mV, ${sampleRateHz} samples/s → ` +
        `exact average ${(expectedAveragePowerUw(profile) / 1000).toFixed(4)} mW (noise-free)\n`,
    );
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    // on, not once: a second Ctrl-C during the (bounded) cleanup must not kill us before the pty and temp dir are gone.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const simulator = new SerialSimulator(profile);
      const counters = await simulator.run({
        path,
        baudRate,
        ...(durationUs === undefined ? {} : { durationUs }),
        isRealTime: rateLimit === 'realtime',
        dropRate,
        signal: abort.signal,
      });
      const stalledSamples = counters.skippedSamples - simulator.droppedSamples;
      process.stderr.write(
        `sent ${counters.samples} samples (${counters.corruptedLines} corrupted; ${stalledSamples} more lost while nobody read the port, ` +
          `${simulator.droppedSamples} left out by --drop-rate), ${counters.inferences} inferences, ${(counters.sentEnergyUj / 1e6).toFixed(6)} J\n`,
      );
      if (values.json === true) {
        const report = {
          ...counters,
          droppedWrites: simulator.droppedWrites,
          droppedSamples: simulator.droppedSamples,
          stallCount: simulator.stallCount,
          stalls: simulator.stalls,
        };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await port.close();
    }
    return 0;
  },
});
