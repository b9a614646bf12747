/**
 * A simulated X-NUCLEO-LPM01A PowerShield powering a simulated DUT: the instrument's shell and acquisition as
 * UM2269 and shared/reference/instruments.md §2 describe them, byte for byte, and a known truth (what it sent).
 * No I/O and no clock: commands come in as bytes, the caller advances time in samples, bytes go out through `out`.
 *
 * Shell: `\r\nPowerShield > ack <command>\r\n\r\n`, or `\r\nPowerShield > error <command>\r\n` then
 * `Error detail: <text>\r\n`. Outside host control (`htc`) only `htc` is taken. During an acquisition only `stop`,
 * `status` and `targrst` are taken (the rest: error, "acquisition running") [I: the manual does not say which]. An
 * acquisition that loses its host (cable cut) keeps running until a `stop`.
 *
 * Samples: ASCII `%04d%c%02d\r\n` (mantissa 1000–9999 when the value allows), a TimeStamp line after every 1000
 * samples, `event NN ris` when the DUT's D7 falls; binary: 2-byte words (the largest exponent that fits), F0 F3
 * timestamps. `stop`: `end` (binary F0 F4 FF FF), the summary, `PowerShield > Acquisition completed`.
 *
 * The DUT (a profile): idle at `idleA`; every cycle `idleS` idle, a marker, `leadS` idle, N inferences of
 * `inferenceS` at `activeA` each, `leadS` idle, a marker (MLPerf Tiny's th_timestamp() before and after N inferences).
 */
import { formatVoltage } from '../../ingest/serial/drivers/lpm01a/lpm01a-codec.js';

export interface DutProfile {
  idleA: number;
  activeA: number;
  inferenceS: number;
  inferencesPerRun: number;
  /** Idle time between a run's end marker and the next run's start marker, s. */
  idleS: number;
  /** Idle time between a marker and the first inference (and the last inference and the end marker), s. */
  leadS: number;
}

export const DEFAULT_DUT_PROFILE: Readonly<DutProfile> = Object.freeze({
  idleA: 0.0012,
  activeA: 0.0186,
  inferenceS: 0.02,
  inferencesPerRun: 40,
  idleS: 0.4,
  leadS: 0.05,
});

export interface RunTruth {
  inferences: number;
  /** Energy of the samples after the start marker up to and including the end marker's, J. */
  energyJ: number;
  samples: number;
}

export interface Lpm01aTruth {
  /** Samples written (to a connected or a cut link: `lostSamples` says how many found no reader). */
  samples: number;
  /** Energy of the samples written while connected, J (as encoded: the value a correct decoder reads). */
  energyJ: number;
  /** Device time of the samples written while connected, s. */
  durationS: number;
  lostSamples: number;
  markers: number;
  /** Complete runs (start and end marker) written while connected. */
  runs: RunTruth[];
  commands: string[];
  errorReplies: number;
}

const BOARD_ID = '540554545-1430736921-1900587';
const FIRMWARE = '1.0.7';
const FREQUENCIES: Readonly<Record<string, number>> = {
  '100k': 100_000,
  '50k': 50_000,
  '20k': 20_000,
  '10k': 10_000,
  '5k': 5_000,
  '2k': 2_000,
  '1k': 1_000,
  '500': 500,
  '200': 200,
  '100': 100,
  '50': 50,
  '20': 20,
  '10': 10,
  '5': 5,
  '2': 2,
  '1': 1,
};
/** UM2269 Table 2: ASCII above 10 kHz is refused by the simulator (instruments.md §2.5). */
const ASCII_MAX_HZ = 10_000;

export class Lpm01aModel {
  hostControlled = false;
  acquiring = false;
  voltageMv = 3300;
  rateHz = 100;
  output: 'current' | 'energy' = 'current';
  format: 'ascii_dec' | 'bin_hexa' = 'ascii_dec';
  /** Whether what is written reaches a reader (false while the cable is cut). */
  connected = true;
  readonly truth: Lpm01aTruth = { samples: 0, energyJ: 0, durationS: 0, lostSamples: 0, markers: 0, runs: [], commands: [], errorReplies: 0 };
  private pendingCommand = '';
  private acquiredSamples = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;
  /** DUT position: sample index within its cycle. */
  private cycleSample = 0;
  private markerNumber = 0;
  private run: RunTruth | null = null;
  private runIsWhole = false;

  /**
   * Highest rate of `output energy`: the firmware's help text says 10 kHz, UM2269 says 100 Hz; a model built with 100
   * refuses `output energy` at 1 kHz as firmware following the manual would.
   */
  energyMaxHz = 10_000;

  constructor(
    private readonly dut: DutProfile,
    private readonly out: (bytes: Buffer) => void,
  ) {}

  /** Bytes from the host. */
  receive(bytes: Buffer): void {
    this.pendingCommand += bytes.toString('latin1');
    for (;;) {
      const newline = this.pendingCommand.indexOf('\n');
      if (newline === -1) break;
      const command = this.pendingCommand.slice(0, newline).replace(/\r/g, '').trim();
      this.pendingCommand = this.pendingCommand.slice(newline + 1);
      if (command !== '') this.command(command);
    }
    if (this.pendingCommand.length > 256) this.pendingCommand = '';
  }

  /** `count` more samples of the running acquisition (none when stopped). */
  advance(count: number): void {
    if (!this.acquiring) return;
    const chunks: Buffer[] = [];
    const periodS = 1 / this.rateHz;
    for (let i = 0; i < count; i += 1) {
      const { currentA, marker } = this.dutStep(periodS);
      const value = this.output === 'energy' ? currentA * (this.voltageMv / 1000) * periodS : currentA;
      const { bytes, decoded } = this.format === 'ascii_dec' ? encodeAscii(value) : encodeBinary(value);
      chunks.push(bytes);
      this.acquiredSamples += 1;
      this.truth.samples += 1;
      const energyJ = this.output === 'energy' ? decoded : decoded * (this.voltageMv / 1000) * periodS;
      if (this.connected) {
        this.truth.energyJ += energyJ;
        this.truth.durationS += periodS;
      } else {
        this.truth.lostSamples += 1;
        this.runIsWhole = false;
      }
      this.minValue = Math.min(this.minValue, decoded);
      this.maxValue = Math.max(this.maxValue, decoded);
      if (this.run !== null) {
        this.run.energyJ += energyJ;
        this.run.samples += 1;
      }
      if (marker) chunks.push(this.marker());
      if (this.acquiredSamples % 1000 === 0) chunks.push(this.timestamp());
    }
    this.emit(Buffer.concat(chunks));
  }

  private dutStep(periodS: number): { currentA: number; marker: boolean } {
    const { dut } = this;
    const rate = 1 / periodS;
    const idle = Math.round(dut.idleS * rate);
    const lead = Math.round(dut.leadS * rate);
    const active = Math.round(dut.inferenceS * dut.inferencesPerRun * rate);
    const cycle = idle + lead + active + lead;
    const at = this.cycleSample;
    this.cycleSample = (this.cycleSample + 1) % cycle;
    const isActive = at >= idle + lead && at < idle + lead + active;
    // The falling edges: at the last idle sample before the run, and at the last lead sample after it.
    const marker = at === idle - 1 || at === cycle - 1;
    return { currentA: isActive ? dut.activeA : dut.idleA, marker };
  }

  private marker(): Buffer {
    this.markerNumber += 1;
    if (this.connected) this.truth.markers += 1;
    if (this.run === null) {
      this.run = { inferences: this.dut.inferencesPerRun, energyJ: 0, samples: 0 };
      this.runIsWhole = this.connected;
    } else {
      if (this.runIsWhole && this.connected) this.truth.runs.push(this.run);
      this.run = null;
    }
    // Binary streams carry no documented event tag: markers are sent only in ASCII [I].
    return this.format === 'ascii_dec' ? Buffer.from(`event ${this.markerNumber} ris\r\n`, 'latin1') : Buffer.alloc(0);
  }

  private timestamp(): Buffer {
    const ms = Math.round((this.acquiredSamples / this.rateHz) * 1000);
    if (this.format === 'bin_hexa') return Buffer.from([0xf0, 0xf3, (ms >>> 24) & 0x7f, (ms >>> 16) & 0xff, (ms >>> 8) & 0xff, ms & 0xff, 0, 0xff, 0xff]);
    const s = String(Math.floor(ms / 1000) % 1000).padStart(3, '0');
    return Buffer.from(`TimeStamp: ${s}s ${String(ms % 1000).padStart(3, '0')}ms, buff 00%\r\n\0`, 'latin1');
  }

  private command(line: string): void {
    this.truth.commands.push(line);
    const [word = '', ...args] = line.split(/\s+/);
    if (!this.hostControlled && word !== 'htc') return this.error(line, 'not in host-controlled mode: send htc');
    if (this.acquiring && !['stop', 'status', 'targrst'].includes(word)) return this.error(line, 'acquisition running: send stop');
    switch (word) {
      case 'htc':
        this.hostControlled = true;
        return this.ack(line);
      case 'hrc':
        this.hostControlled = false;
        return this.ack(line);
      case 'powershield':
        return this.ack(`powershield ${BOARD_ID}`);
      case 'version':
        return this.ack(`version: ${FIRMWARE}`);
      case 'status':
        return this.ack('status ok');
      case 'volt': {
        const mv = parseMillivolts(args[0] ?? '');
        if (mv === null || mv < 1800 || mv > 3300) return this.error(line, 'voltage out of range 1800m..3300m');
        this.voltageMv = mv;
        return this.ack(`volt ${formatVoltage(mv / 1000)}`);
      }
      case 'freq': {
        const hz = FREQUENCIES[args[0] ?? ''];
        if (hz === undefined) return this.error(line, 'unsupported frequency');
        if (this.format === 'ascii_dec' && hz > ASCII_MAX_HZ) return this.error(line, 'ascii_dec format limited to 10k');
        this.rateHz = hz;
        return this.ack(line);
      }
      case 'acqtime':
      case 'trigsrc':
      case 'trigdelay':
      case 'eventsrc':
      case 'lcd':
      case 'pwr':
      case 'targrst':
        return this.ack(line);
      case 'output':
        if (args[0] !== 'energy' && args[0] !== 'current') return this.error(line, 'output must be current or energy');
        if (args[0] === 'energy' && this.rateHz > this.energyMaxHz) return this.error(line, `energy output limited to ${this.energyMaxHz} Hz`);
        this.output = args[0];
        return this.ack(line);
      case 'format':
        if (args[0] !== 'ascii_dec' && args[0] !== 'bin_hexa') return this.error(line, 'format must be ascii_dec or bin_hexa');
        if (args[0] === 'ascii_dec' && this.rateHz > ASCII_MAX_HZ) return this.error(line, 'ascii_dec format limited to 10k');
        this.format = args[0];
        return this.ack(line);
      case 'start':
        this.ack(line);
        this.acquiring = true;
        this.acquiredSamples = 0;
        this.minValue = Number.POSITIVE_INFINITY;
        this.maxValue = 0;
        return;
      case 'stop':
        if (!this.acquiring) return this.ack(line);
        this.acquiring = false;
        this.run = null;
        this.emit(
          Buffer.concat([
            this.format === 'bin_hexa' ? Buffer.from([0xf0, 0xf4, 0xff, 0xff]) : Buffer.from('\r\nend\r\n', 'latin1'),
            Buffer.from(
              `\r\nsummary begin\r\n${encodeAscii(Number.isFinite(this.minValue) ? this.minValue : 0).bytes.toString('latin1')}` +
                `${encodeAscii(this.maxValue).bytes.toString('latin1')}summary end\r\n\r\nPowerShield > Acquisition completed\r\n`,
              'latin1',
            ),
          ]),
        );
        return;
      default:
        return this.error(line, 'unknown command');
    }
  }

  private ack(text: string): void {
    this.emit(Buffer.from(`\r\nPowerShield > ack ${text}\r\n\r\n`, 'latin1'));
  }

  private error(line: string, detail: string): void {
    this.truth.errorReplies += 1;
    this.emit(Buffer.from(`\r\nPowerShield > error ${line}\r\nError detail: ${detail}\r\n`, 'latin1'));
  }

  private emit(bytes: Buffer): void {
    if (bytes.length > 0) this.out(bytes);
  }
}

function parseMillivolts(text: string): number | null {
  const match = /^(\d+)m$/.exec(text) ?? /^(\d+)-3$/.exec(text);
  return match === null ? null : Number(match[1]);
}

/** `%04d%c%02d`: the largest mantissa ≤ 9999 (4 significant digits); the value a decoder reads back. */
export function encodeAscii(value: number): { bytes: Buffer; decoded: number } {
  if (!(value > 0)) return { bytes: Buffer.from('0000+00\r\n', 'latin1'), decoded: 0 };
  let exponent = Math.floor(Math.log10(value)) - 3;
  let mantissa = Math.round(value / 10 ** exponent);
  if (mantissa > 9999) {
    exponent += 1;
    mantissa = Math.round(value / 10 ** exponent);
  }
  const sign = exponent < 0 ? '-' : '+';
  const text = `${String(mantissa).padStart(4, '0')}${sign}${String(Math.abs(exponent)).padStart(2, '0')}\r\n`;
  const decoded = exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
  return { bytes: Buffer.from(text, 'latin1'), decoded };
}

/** A 2-byte word: the largest exponent (0–14) whose value still fits 12 bits. */
export function encodeBinary(value: number): { bytes: Buffer; decoded: number } {
  let exponent = 14;
  while (exponent > 0 && value * 16 ** exponent > 0xfff) exponent -= 1;
  const mantissa = Math.min(0xfff, Math.round(value * 16 ** exponent));
  const word = (exponent << 12) | mantissa;
  return { bytes: Buffer.from([word >>> 8, word & 0xff]), decoded: mantissa / 16 ** exponent };
}
