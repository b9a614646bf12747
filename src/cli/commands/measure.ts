import { existsSync } from 'node:fs';
import { buildCatalogue } from '../../catalogue/load-catalogue.js';
import { ValidationError } from '../../domain/errors.js';
import { parseDurationS } from '../../domain/quantity.js';
import { DEFAULT_SERIAL_BAUD, DEFAULT_SERIAL_DRIVER } from '../../ingest/serial/index.js';
import { MeasurementTally } from '../../ingest/serial/measurement-tally.js';
import { computeFootprint } from '../../model/footprint.js';
import { HealthRegistry } from '../../obs/health-registry.js';
import type { SourceStatus } from '../../obs/health-registry.js';
import { silentLogger } from '../../obs/logger.js';
import { isDeviceId } from '../../protocol/validate.js';
import { createPipeline, openStoreFileForCli, storeFileIn } from '../../server/compose.js';
import { parseBaudRate, parseSerialPorts } from '../../server/layers/serial-config.js';
import { startSerialSource } from '../../server/layers/serial-layer.js';
import { footprintInputFromSpec } from '../../service/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../service/spec.js';
import { DATABASE_FILE, defaultDataDir } from '../../store/data-dir.js';
import type { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { formatFootprintFitted, powerText } from '../format-footprint.js';
import { TERMINAL_COLUMNS, wrapLine } from '../wrap.js';
import { confidenceLines, confidenceSummary, ConfidenceTally, parseUntil } from './measure-confidence.js';
import { readoutLine } from './measure-readout.js';

/** The readout refreshes once a second: fast enough to watch, slow enough not to flood a log. */
const READOUT_INTERVAL_MS = 1_000;
const DEFAULT_DURATION_S = 600;
/** Longest --duration: a week of readout is plenty, and it stays far below setTimeout's 2^31 - 1 ms (~24.8 days). */
export const MAX_MEASURE_DURATION_S = 7 * 86_400;
const DEFAULT_MEASURE_WINDOW_S = 1;

/** powerText, or "none" before the first reading. */
function maybePowerText(powerW: number | null): string {
  return powerW === null ? 'none' : powerText(powerW);
}

function energyText(energyJ: number): string {
  if (energyJ >= 1) return `${energyJ.toFixed(3)} J`;
  return `${(energyJ * 1e3).toFixed(3)} mJ`;
}

function counter(status: SourceStatus | undefined, name: string): number {
  return status?.counters[name] ?? 0;
}

/**
 * Share of device time integrated while the port was read: covered / (covered + gaps), sample windows still held for
 * a possible W (SPEC §2) included. Wall time is no reference: the port may deliver a backlog, and the gap from it to
 * the live stream happened before the measurement (SPEC §4.2), so it is not counted here.
 */
function coverageOf(status: SourceStatus | undefined): number | null {
  const coveredUs = counter(status, 'coveredUs') + counter(status, 'heldCoveredUs');
  const lostUs = counter(status, 'lostCoverageUs');
  return coveredUs + lostUs > 0 ? coveredUs / (coveredUs + lostUs) : null;
}

function percentText(share: number | null): string {
  return share === null ? 'none' : `${(Math.floor(share * 1000) / 10).toFixed(1)} %`;
}

/** Rejected lines; `before_hello` ones are not errors of the link (they wait for the hello, SPEC §4.1). */
function errorCount(status: SourceStatus | undefined): number {
  if (status === undefined) return 0;
  return Object.entries(status.rejected).reduce((sum, [reason, n]) => (reason === 'before_hello' ? sum : sum + n), 0);
}

/** A port path that names no device node cannot appear later in this run: say so at once (exit 2), not after --duration. */
function assertPortExists(portPath: string): void {
  if (process.platform === 'win32') return; // COM3 is not a file
  if (!existsSync(portPath)) throw new ValidationError(`no such port: ${portPath} (\`tinyml-footprint ports\` lists the serial ports)`);
}

export const measureCommand: CliCommand = defineCommand({
  name: 'measure',
  synopsis: '<port> [options]',
  description:
    'Reads firmware protocol v1 (firmware-protocol/SPEC.md) from a serial port, or an instrument with --instrument\n' +
    '(lpm01a: the ST X-NUCLEO-LPM01A PowerShield), shows a live readout and ends with the measured average power\n' +
    'against the 1 mW assumption and the projected lifetime footprint.',
  positionals: true,
  options: {
    system: { type: 'string', value: '<id>', default: String(SEED_DEFAULT_SPEC.system), help: 'system preset for the footprint' },
    duration: { type: 'string', value: '<d>', default: '10m; Ctrl-C ends early', help: 'how long to measure, e.g. 30s, 10m (with --until: at most)' },
    until: { type: 'string', value: '<p>', help: 'stop once the average is known to ±p (95 % interval over ≥ 5 windows), e.g. 2%' },
    instrument: {
      type: 'string',
      value: '<driver>[,<k>=<v>…]',
      default: 'tmf1 (a board)',
      help: 'what is on the port: a driver of serve --serial, with its settings (e.g. lpm01a,voltage=1.8,rate=1000,inferences=40)',
    },
    baud: { type: 'string', value: '<n>', default: `${DEFAULT_SERIAL_BAUD}; the instrument's own`, help: 'serial baud rate (bits/s)' },
    'device-id': { type: 'string', value: '<id>', help: 'for firmware that sends no hello' },
    window: { type: 'string', value: '<d>', default: '1s, so the readout is fresh', help: 'integration window' },
    store: { type: 'boolean', help: `also store the windows in the default SQLite store (<data dir>/${DATABASE_FILE})` },
    'store-file': { type: 'string', value: '<f>', help: '... or in this SQLite file' },
    json: { type: 'boolean', help: 'print the summary as JSON' },
  },
  async run({ values, positionals }) {
    const portPath = positionals[0];
    if (portPath === undefined || positionals.length > 1) throw new ValidationError('usage: measure <port> [options] (see --help)');
    const durationS = values.duration === undefined ? DEFAULT_DURATION_S : parseDurationS(values.duration);
    if (!(durationS > 0) || durationS > MAX_MEASURE_DURATION_S) {
      throw new ValidationError(`--duration must be positive and at most ${MAX_MEASURE_DURATION_S / 86_400} days, got "${values.duration}"`);
    }
    const windowS = values.window === undefined ? DEFAULT_MEASURE_WINDOW_S : parseDurationS(values.window);
    if (!(windowS > 0) || windowS > durationS) throw new ValidationError(`--window must be positive and at most the duration, got "${values.window}"`);
    const until = values.until === undefined ? null : parseUntil(values.until);
    const deviceId = values['device-id'];
    if (deviceId !== undefined && !isDeviceId(deviceId))
      throw new ValidationError(`--device-id must match [A-Za-z0-9_.-]{1,64} (not only dots), got "${deviceId}"`);
    assertPortExists(portPath);
    const baudRate = parseBaudRate(values.baud, '--baud');
    // The same grammar as serve's --serial: the instrument's settings are checked by its driver before the port opens.
    const [portConfig] = parseSerialPorts([
      `${portPath},driver=${values.instrument ?? DEFAULT_SERIAL_DRIVER}${values.baud === undefined ? '' : `,baud=${baudRate}`}`,
    ]);
    const system = values.system ?? String(SEED_DEFAULT_SPEC.system);
    const catalogue = buildCatalogue();
    const spec = { ...SEED_DEFAULT_SPEC, system };
    computeFootprint(catalogue, footprintInputFromSpec(spec, { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW })); // validates --system before measuring

    // serve's composition: the same store file, pipeline and serial source, with a tally in front of the sink.
    const store: SqliteStore | null =
      values.store === true || values['store-file'] !== undefined ? openStoreFileForCli(values['store-file'] ?? storeFileIn(defaultDataDir())) : null;
    const pipeline = store === null ? null : createPipeline(store, spec);
    const confidence = new ConfidenceTally(pipeline?.ingest ?? null);
    const tally = new MeasurementTally(confidence);
    const health = pipeline?.health ?? new HealthRegistry();
    const startedMs = Date.now();
    const readers = (await startSerialSource(
      { ports: [portConfig!], autoDiscover: false, baudRate },
      { sink: tally, health, store, log: silentLogger },
      { windowS, ...(deviceId === undefined ? {} : { deviceIds: { [portPath]: deviceId } }) },
    ))!;
    const status = (): SourceStatus | undefined => health.snapshot().find((s) => s.name === `serial:${portPath}`);
    const isTty = process.stderr.isTTY === true;
    let announcedDevice: string | null = null;
    const readout = (): void => {
      const s = status();
      const t = tally.totals;
      const details = s?.details ?? {};
      const deviceId = typeof details['deviceId'] === 'string' ? details['deviceId'] : null;
      if (deviceId !== null && deviceId !== announcedDevice) {
        // Once per device, on a line of its own: the live line has no room for a 64-character id.
        announcedDevice = deviceId;
        const board = typeof details['board'] === 'string' ? ` (${details['board']})` : '';
        const line = wrapLine(`device ${deviceId}${board} on ${portPath}`, TERMINAL_COLUMNS, 7).join('\n');
        process.stderr.write(isTty ? `\r\x1b[2K${line}\n` : `${line}\n`);
      }
      const heldJ = counter(s, 'heldEnergyUj') / 1e6;
      const heldS = counter(s, 'heldCoveredUs') / 1e6;
      const coveredS = t.coveredS + heldS;
      const lastByteMs = typeof details['lastByteMs'] === 'number' ? details['lastByteMs'] : null;
      const line = readoutLine({
        elapsedS: (Date.now() - startedMs) / 1000,
        path: portPath,
        state: s?.state ?? 'connecting',
        lastError: s?.lastError ?? null,
        bytes: counter(s, 'bytes'),
        deviceId,
        preHelloLines: counter(s, 'preHelloLines'),
        averagePowerW: coveredS > 0 ? (t.energyJ + heldJ) / coveredS : null,
        nowPowerW: t.lastPowerW,
        energyJ: t.energyJ + heldJ,
        samples: counter(s, 'samples'),
        coverage: coverageOf(s),
        errors: errorCount(s),
        quietS: lastByteMs === null || s?.state !== 'connected' ? null : (Date.now() - lastByteMs) / 1000,
      });
      process.stderr.write(isTty ? `\r\x1b[2K${line}` : `${line}\n`);
    };
    const timer = setInterval(readout, READOUT_INTERVAL_MS);
    await new Promise<void>((resolve) => {
      // Whichever ends the measurement (the duration, --until, a signal) clears the others: a timer left running
      // would keep the process alive after the summary.
      const finish = (): void => {
        clearTimeout(end);
        if (stopRule !== null) clearInterval(stopRule);
        process.off('SIGINT', finish);
        process.off('SIGTERM', finish);
        resolve();
      };
      const end = setTimeout(finish, durationS * 1000);
      const stopRule = until === null ? null : setInterval(() => (confidence.isKnownTo(until) ? finish() : undefined), READOUT_INTERVAL_MS);
      process.once('SIGINT', finish);
      process.once('SIGTERM', finish);
    });
    clearInterval(timer);
    await readers.stop();
    readout();
    if (isTty) process.stderr.write('\n');
    const final = status();
    await store?.close();

    const t = tally.totals;
    const elapsedS = (Date.now() - startedMs) / 1000;
    const averageW = tally.averagePowerW;
    if (averageW === null) {
      const why = `no energy window received from ${portPath} (state ${final?.state ?? '?'}, last error: ${final?.lastError ?? 'none'})`;
      process.stderr.write(`${wrapLine(why, TERMINAL_COLUMNS, 2).join('\n')}\n`);
      return 1;
    }
    const result = computeFootprint(
      catalogue,
      footprintInputFromSpec(spec, { kind: 'measured', powerW: averageW, observedS: t.coveredS, samples: t.samples, windows: t.windows }),
    );
    const assumedW = catalogue.assumptions.assumedPowerW;
    const summary = {
      port: portPath,
      deviceId: t.deviceId,
      startedAtMs: startedMs,
      elapsedS,
      coveredS: t.coveredS,
      coverage: coverageOf(final),
      energyJ: t.energyJ,
      averagePowerW: averageW,
      minPowerW: t.minPowerW,
      maxPowerW: t.maxPowerW,
      samples: t.samples,
      windows: t.windows,
      inferences: t.inferences,
      rejected: final?.rejected ?? {},
      gaps: counter(final, 'gaps'),
      lostS: counter(final, 'lostCoverageUs') / 1e6,
      lostBeforeReadingS: counter(final, 'lostBeforeReadingUs') / 1e6,
      assumedPowerW: assumedW,
      ratioToAssumption: averageW / assumedW,
      lifetimeKgCO2e: result.totalKgCO2e,
      lifetimeKgCO2eAssumed: result.comparison.assumed.totalKgCO2e,
      stored: store !== null,
      ...confidenceSummary(confidence, until),
    };
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify({ ...summary, footprint: result }, null, 2)}\n`);
      return 0;
    }
    const rejected = Object.entries(summary.rejected)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    const gaps = summary.gaps === 0 ? 'no gaps' : `${summary.lostS.toFixed(3)} s lost in ${summary.gaps} gap${summary.gaps === 1 ? '' : 's'}`;
    const lines = [
      `Device     ${t.deviceId ?? '(no hello)'} on ${portPath}`,
      `Measured   ${powerText(averageW)} average (min ${maybePowerText(t.minPowerW)}, max ${maybePowerText(t.maxPowerW)}), ` +
        `${energyText(t.energyJ)} over ${t.coveredS.toFixed(1)} s of device time in ${elapsedS.toFixed(1)} s`,
      `Coverage   ${percentText(summary.coverage)} (${gaps})`,
      `Data       ${t.samples} samples in ${t.windows} windows, ${t.inferences} inferences; rejected: ${rejected === '' ? 'none' : rejected}`,
      `Assumption the seed assumes ${powerText(assumedW)}: measured is ${summary.ratioToAssumption.toFixed(2)}× that`,
      `Lifetime   ${result.totalKgCO2e.toFixed(2)} kg CO2e with the measured power vs ${summary.lifetimeKgCO2eAssumed.toFixed(2)} kg CO2e assumed`,
      ...confidenceLines(summary, confidence, result),
    ];
    const text = lines.flatMap((line) => wrapLine(line, TERMINAL_COLUMNS, 11));
    process.stdout.write(`${[...text, '', formatFootprintFitted(result)].join('\n')}\n`);
    return 0;
  },
});
