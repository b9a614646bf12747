import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCatalogue } from '../../catalogue/load-catalogue.js';
import { DATABASE_FILE } from '../../config/defaults.js';
import { DEFAULT_SERIAL_BAUD } from '../../config/serve-config.js';
import { ValidationError } from '../../domain/errors.js';
import { parseDurationS } from '../../domain/quantity.js';
import { IngestService } from '../../ingest/ingest-service.js';
import { epochMsSeqStart, startSerialReaders, storeSeqStart } from '../../ingest/serial/index.js';
import { MeasurementTally } from '../../ingest/serial/measurement-tally.js';
import { LiveBus } from '../../live/live-bus.js';
import { computeFootprint } from '../../model/footprint.js';
import { HealthRegistry } from '../../obs/health-registry.js';
import type { SourceStatus } from '../../obs/health-registry.js';
import { isDeviceId } from '../../protocol/validate.js';
import { footprintInputFromSpec } from '../../service/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../service/spec.js';
import { defaultDataDir } from '../../store/data-dir.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { CliCommand } from '../command.js';
import { reportUsageError } from '../usage-error.js';
import { formatFootprint, powerText } from '../format-footprint.js';

const USAGE = `tinyml-footprint measure <port> [options]

Reads firmware protocol v1 (firmware-protocol/SPEC.md) from a serial port, shows a live readout and ends with
the measured average power against the 1 mW assumption and the projected lifetime footprint.

  --system <id>      system preset for the footprint (default ${String(SEED_DEFAULT_SPEC.system)})
  --duration <d>     how long to measure, e.g. 30s, 10m (default 10m; Ctrl-C ends early)
  --baud <n>         default ${DEFAULT_SERIAL_BAUD}
  --device-id <id>   for firmware that sends no hello
  --window <d>       integration window (default 1s, so the readout is fresh)
  --store            also store the windows in the default SQLite store (<data dir>/${DATABASE_FILE})
  --store-file <f>   ... or in this SQLite file
  --json             print the summary as JSON`;

/** The readout refreshes once a second: fast enough to watch, slow enough not to flood a log. */
const READOUT_INTERVAL_MS = 1_000;
const DEFAULT_DURATION_S = 600;
/** Longest --duration: a week of readout is plenty, and it stays far below setTimeout's 2^31 - 1 ms (~24.8 days). */
export const MAX_MEASURE_DURATION_S = 7 * 86_400;
const DEFAULT_MEASURE_WINDOW_S = 1;

/** powerText, or a dash before the first reading. */
function maybePowerText(powerW: number | null): string {
  return powerW === null ? '—' : powerText(powerW);
}

function energyText(energyJ: number): string {
  if (energyJ >= 1) return `${energyJ.toFixed(3)} J`;
  return `${(energyJ * 1e3).toFixed(3)} mJ`;
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Share of device time integrated: covered / (covered + gaps). Wall time is no reference: the port may deliver a backlog. */
function coverageOf(status: SourceStatus | undefined): number | null {
  const coveredUs = status?.counters['coveredUs'] ?? 0;
  const lostUs = status?.counters['lostCoverageUs'] ?? 0;
  return coveredUs + lostUs > 0 ? coveredUs / (coveredUs + lostUs) : null;
}

function percentText(share: number | null): string {
  return share === null ? '—' : `${(share * 100).toFixed(1)} %`;
}

function errorCount(status: SourceStatus | undefined): number {
  return status === undefined ? 0 : Object.values(status.rejected).reduce((a, b) => a + b, 0);
}

export const measureCommand: CliCommand = {
  summary: 'measure a board over USB serial: live readout, then measured vs assumed power and footprint',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        system: { type: 'string' },
        duration: { type: 'string' },
        baud: { type: 'string' },
        'device-id': { type: 'string' },
        window: { type: 'string' },
        store: { type: 'boolean' },
        'store-file': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    try {
      const portPath = positionals[0];
      if (portPath === undefined || positionals.length > 1) throw new ValidationError('usage: measure <port> [options] (see --help)');
      const durationS = values.duration === undefined ? DEFAULT_DURATION_S : parseDurationS(values.duration);
      if (!(durationS > 0) || durationS > MAX_MEASURE_DURATION_S) {
        throw new ValidationError(`--duration must be positive and at most ${MAX_MEASURE_DURATION_S / 86_400} days, got "${values.duration}"`);
      }
      const windowS = values.window === undefined ? DEFAULT_MEASURE_WINDOW_S : parseDurationS(values.window);
      if (!(windowS > 0) || windowS > durationS) throw new ValidationError(`--window must be positive and at most the duration, got "${values.window}"`);
      const deviceId = values['device-id'];
      if (deviceId !== undefined && !isDeviceId(deviceId)) throw new ValidationError(`--device-id must match [A-Za-z0-9_.-]{1,64} (not only dots), got "${deviceId}"`);
      const baudRate = values.baud === undefined ? DEFAULT_SERIAL_BAUD : Number(values.baud);
      if (!Number.isInteger(baudRate) || baudRate <= 0) throw new ValidationError('--baud must be a positive integer');
      const system = values.system ?? String(SEED_DEFAULT_SPEC.system);
      const catalogue = buildCatalogue();
      const spec = { ...SEED_DEFAULT_SPEC, system };
      computeFootprint(catalogue, footprintInputFromSpec(spec, { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW })); // validates --system before measuring

      let store: SqliteStore | null = null;
      if (values.store === true || values['store-file'] !== undefined) {
        const file = values['store-file'] ?? path.join(defaultDataDir(), DATABASE_FILE);
        mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        store = SqliteStore.open(file);
      }
      const tally = new MeasurementTally(store === null ? null : new IngestService(store, new LiveBus(), spec));
      const health = new HealthRegistry();
      const startedMs = Date.now();
      const readers = await startSerialReaders(
        {
          ports: [portPath],
          autoDiscover: false,
          baudRate,
          windowS,
          ...(deviceId === undefined ? {} : { deviceIds: { [portPath]: deviceId } }),
          seqStart: store === null ? epochMsSeqStart : storeSeqStart(store),
        },
        tally,
        health,
      );
      const status = (): SourceStatus | undefined => health.snapshot().find((s) => s.name === `serial:${portPath}`);
      const isTty = process.stderr.isTTY === true;
      const readout = (): void => {
        const s = status();
        const t = tally.totals;
        const elapsedS = (Date.now() - startedMs) / 1000;
        const line =
          `${clock(elapsedS)}  ${s?.state ?? '?'}  avg ${maybePowerText(tally.averagePowerW)}  now ${maybePowerText(t.lastPowerW)}  ` +
          `energy ${energyText(t.energyJ)}  samples ${t.samples}  coverage ${percentText(coverageOf(s))}  errors ${errorCount(s)}`;
        process.stderr.write(isTty ? `\r\x1b[2K${line}` : `${line}\n`);
      };
      const timer = setInterval(readout, READOUT_INTERVAL_MS);
      await new Promise<void>((resolve) => {
        const end = setTimeout(resolve, durationS * 1000);
        const onSignal = (): void => {
          clearTimeout(end);
          resolve();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
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
        process.stderr.write(`no energy window received from ${portPath} (state ${final?.state ?? '?'}, last error: ${final?.lastError ?? 'none'})\n`);
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
        assumedPowerW: assumedW,
        ratioToAssumption: averageW / assumedW,
        lifetimeKgCO2e: result.totalKgCO2e,
        lifetimeKgCO2eAssumed: result.comparison.assumed.totalKgCO2e,
        stored: store !== null,
      };
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify({ ...summary, footprint: result }, null, 2)}\n`);
        return 0;
      }
      const rejected = Object.entries(summary.rejected).map(([reason, n]) => `${reason} ${n}`).join(', ');
      process.stdout.write(
        [
          `Device     ${t.deviceId ?? '(no hello)'} on ${portPath}`,
          `Measured   ${powerText(averageW)} average (min ${maybePowerText(t.minPowerW)}, max ${maybePowerText(t.maxPowerW)}), ${energyText(t.energyJ)} ` +
            `over ${t.coveredS.toFixed(1)} s of device time (coverage ${percentText(summary.coverage)}; ${elapsedS.toFixed(1)} s elapsed)`,
          `Data       ${t.samples} samples in ${t.windows} windows, ${t.inferences} inferences; rejected: ${rejected === '' ? 'none' : rejected}`,
          `Assumption the seed assumes ${powerText(assumedW)}: measured is ${summary.ratioToAssumption.toFixed(2)}× that`,
          `Lifetime   ${result.totalKgCO2e.toFixed(2)} kg CO2e with the measured power vs ${summary.lifetimeKgCO2eAssumed.toFixed(2)} kg CO2e assumed`,
          '',
          formatFootprint(result),
        ].join('\n') + '\n',
      );
      return 0;
    } catch (error) {
      return reportUsageError(error);
    }
  },
};
