/**
 * A simulated Nordic PPK2 on a serial port (a socat pty end): it answers the commands as the kit does
 * (instruments.md §3: raw opcodes, no replies but the metadata text and the sample stream) and, between AverageStart
 * and AverageStop, writes 4-byte sample words at 100 kS/s, paced on the wall clock, in batches like Nordic's worker.
 * It keeps the truth of what it sent (samples, energy, inferences, per marker period) for tests to compare with.
 *
 * A host that does not drain the link loses samples, as on the kit's USB endpoint: their counters are skipped, so the
 * host sees a counter gap. Faults on purpose: samples dropped in transit (`dropEverySamples`), a metadata text other
 * than the kit's (garbage, another device).
 */
import { SerialPort } from 'serialport';
import { defaultModifiers, type Ppk2Modifiers } from '../../ingest/serial/drivers/ppk2/metadata.js';
import { PPK2_OPCODE, PPK2_SAMPLE_PERIOD_US } from '../../ingest/serial/drivers/ppk2/protocol.js';
import { mulberry32 } from '../../util/random.js';
import { isBusy, nominalCurrentA, type Ppk2CurrentProfile } from './current-profile.js';
import { Ppk2WordEncoder } from './word-encoder.js';

/** Nordic's worker hands over ~3000 samples per 30 ms; we write every 10 ms (~1 000 samples, 4 KB). */
export const PPK2_SIM_TICK_MS = 10;
/**
 * Bytes the host may leave unread before samples are lost: 250 ms of stream. The kit's own buffer is smaller, but the
 * host's USB stack queues more; a shared CI machine pauses a reader for tens of ms.
 */
export const PPK2_SIM_MAX_PENDING_BYTES = 100_000;
/** Most samples written in one tick (a stalled event loop catches up in bounded steps): 100 ms. */
export const PPK2_SIM_MAX_BATCH_SAMPLES = 10_000;

/** Whole periods whose energy is kept for the truth (a test's few seconds; a demo running for hours keeps the first 100 000). */
export const PPK2_SIM_MAX_RECORDED_PERIODS = 100_000;

/** Argument bytes after each opcode the kit knows (Nordic PPKCmd; the ones a measuring host sends, and a few more). */
const COMMAND_ARGUMENT_BYTES: ReadonlyMap<number, number> = new Map([
  [PPK2_OPCODE.averageStart, 0],
  [PPK2_OPCODE.averageStop, 0],
  [PPK2_OPCODE.deviceRunningSet, 1],
  [PPK2_OPCODE.regulatorSet, 2],
  [PPK2_OPCODE.setPowerMode, 1],
  [PPK2_OPCODE.getMetadata, 0],
  [0x15, 0], // SpikeFilteringOn
  [0x16, 0], // SpikeFilteringOff
  [0x25, 5], // SetUserGains: range, float32
]);

export interface Ppk2SimulatorOptions {
  profile: Ppk2CurrentProfile;
  /** The kit's calibration (the ppk2-rs kit's, say); default: Nordic's defaults. */
  modifiers?: Ppk2Modifiers;
  /** Regulator voltage at power-on (metadata VDD), mV. */
  powerOnVddMv?: number;
  /** Replaces the metadata reply (garbage, another device's text). */
  metadataText?: string;
  /** Every this many samples, `dropSamples` samples are not written (lost in transit; their counters skipped). */
  dropEverySamples?: number;
  dropSamples?: number;
  /**
   * Keep every written sample's energy, per stream (AverageStart to stop or cut), in `truth.streamSampleEnergyJ`: a
   * test that cuts the cable compares with exactly the samples the host read. Tests only (8 bytes per sample).
   */
  keepSampleEnergies?: boolean;
  /** Wall-clock rate, samples/s (default 100 000, the kit's). Lower only where a link cannot carry 400 KB/s. */
  sampleRateHz?: number;
}

/** The truth, over every sample written to the port (each connection, each AverageStart, in order). */
export interface Ppk2Truth {
  samplesWritten: number;
  /** Samples whose counter was skipped: not drained in time (stall) or dropped on purpose. */
  samplesStalled: number;
  samplesDropped: number;
  /**
   * What the kit's 6-bit counter can show of those losses: each run of consecutive lost samples followed by a written
   * one shows as (run mod 64) lost samples; a run of a multiple of 64 is invisible (as to every PPK2 driver).
   */
  counterVisibleLost: number;
  /** Σ I·V·10 µs over written samples, with I as the kit's calibration reads each word, J. */
  energyJ: number;
  /** Σ I·10 µs of written samples (charge), C. */
  chargeC: number;
  /** Bursts whose rising edge was written (each `inferencesPerBurst` inferences). */
  bursts: number;
  /** Energy from each written rising edge to the next written one (a whole period each), J; the first MAX_RECORDED_PERIODS. */
  periodEnergyJ: number[];
  commands: Record<string, number>;
  unknownBytes: number;
  /** With keepSampleEnergies: the energy of each written sample, J, one array per stream, in order. */
  streamSampleEnergyJ: number[][];
  /**
   * With keepSampleEnergies: per stream, the counter-visible losses (run mod 64) and the index in the stream of the
   * written sample that shows each, so a test that cuts the cable knows which losses the host could see.
   */
  streamVisibleLosses: { atSample: number; lost: number }[][];
  /** With keepSampleEnergies: per stream, the index in the stream of each written rising edge (a burst's first sample). */
  streamBurstStarts: number[][];
}

type Mode = 'ampere' | 'source';

export class Ppk2Simulator {
  readonly truth: Ppk2Truth = {
    samplesWritten: 0,
    samplesStalled: 0,
    samplesDropped: 0,
    counterVisibleLost: 0,
    energyJ: 0,
    chargeC: 0,
    bursts: 0,
    periodEnergyJ: [],
    commands: {},
    unknownBytes: 0,
    streamSampleEnergyJ: [],
    streamVisibleLosses: [],
    streamBurstStarts: [],
  };
  private readonly modifiers: Ppk2Modifiers;
  private readonly random: () => number;
  private readonly rateHz: number;
  /** The DUT's timeline, samples since the simulator was made (it runs whether or not the kit streams). */
  private dutSample = 0;
  // Kit state (reset on each connection: the kit is USB-powered).
  private mode: Mode = 'source';
  private vddMv: number;
  private isDutOn = false;
  private isStreaming = false;
  private counter = 0;
  private streamStartMs = 0;
  private streamedSamples = 0;
  private encoder: Ppk2WordEncoder;
  private pending: number[] = [];
  private port: SerialPort | null = null;
  private timer: NodeJS.Timeout | null = null;
  private periodOpenJ: number | null = null;
  /** Whether the DUT was busy at the last written sample; null when unknown (nothing written since a start or a skip). */
  private lastBusy: boolean | null = null;
  private sinceDrop = 0;
  /** Samples lost since the last written one in this stream (a run the host sees once the next word arrives). */
  private lossRun = 0;

  constructor(private readonly options: Ppk2SimulatorOptions) {
    this.modifiers = options.modifiers ?? defaultModifiers();
    this.vddMv = options.powerOnVddMv ?? 3_000;
    this.random = mulberry32(options.profile.seed);
    this.rateHz = options.sampleRateHz ?? 1e6 / PPK2_SAMPLE_PERIOD_US;
    this.encoder = new Ppk2WordEncoder(this.modifiers, this.vddMv);
  }

  get streaming(): boolean {
    return this.isStreaming;
  }

  /**
   * Opens the port and plays the kit until the link goes (the pty is torn down: resolves) or `signal` aborts.
   * May be called again after a replug: the kit powers on afresh, the DUT's timeline goes on.
   */
  async serve(path: string, signal?: AbortSignal): Promise<void> {
    this.powerOn();
    const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false, hupcl: false });
    port.on('error', () => undefined); // EIO when the pty vanishes: the close below ends the session
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    this.port = port;
    port.on('data', (chunk: Buffer) => this.onCommandBytes(chunk));
    this.timer = setInterval(() => this.tick(), PPK2_SIM_TICK_MS);
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      port.once('close', done);
      if (signal?.aborted) done();
      signal?.addEventListener('abort', done, { once: true });
    });
    this.stopTimer();
    this.closeSession();
    this.port = null;
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private powerOn(): void {
    this.mode = 'source';
    this.vddMv = this.options.powerOnVddMv ?? 3_000;
    this.encoder = new Ppk2WordEncoder(this.modifiers, this.vddMv);
    this.isDutOn = false;
    this.isStreaming = false;
    this.counter = 0;
    this.pending = [];
  }

  private onCommandBytes(chunk: Buffer): void {
    for (const byte of chunk) this.pending.push(byte);
    while (this.pending.length > 0) {
      const opcode = this.pending[0]!;
      const argumentBytes = COMMAND_ARGUMENT_BYTES.get(opcode);
      if (argumentBytes === undefined) {
        this.pending.shift();
        this.truth.unknownBytes += 1;
        continue;
      }
      if (this.pending.length < 1 + argumentBytes) return;
      const args = this.pending.splice(0, 1 + argumentBytes).slice(1);
      this.execute(opcode, args);
    }
  }

  private execute(opcode: number, args: number[]): void {
    const name = Object.entries(PPK2_OPCODE).find(([, value]) => value === opcode)?.[0] ?? `0x${opcode.toString(16)}`;
    this.truth.commands[name] = (this.truth.commands[name] ?? 0) + 1;
    switch (opcode) {
      case PPK2_OPCODE.getMetadata:
        this.port?.write(this.options.metadataText ?? this.metadataText());
        break;
      case PPK2_OPCODE.setPowerMode:
        this.mode = args[0] === 1 ? 'ampere' : 'source';
        break;
      case PPK2_OPCODE.regulatorSet:
        this.vddMv = (args[0]! << 8) | args[1]!;
        this.encoder = new Ppk2WordEncoder(this.modifiers, this.vddMv);
        break;
      case PPK2_OPCODE.deviceRunningSet:
        this.isDutOn = args[0] === 1;
        break;
      case PPK2_OPCODE.averageStart:
        if (!this.isStreaming) {
          this.isStreaming = true;
          this.streamStartMs = performance.now();
          this.streamedSamples = 0;
          this.periodOpenJ = null;
          this.lossRun = 0;
          if (this.options.keepSampleEnergies === true) {
            this.truth.streamSampleEnergyJ.push([]);
            this.truth.streamVisibleLosses.push([]);
            this.truth.streamBurstStarts.push([]);
          }
          this.lastBusy = null;
        }
        break;
      case PPK2_OPCODE.averageStop:
        this.closeSession();
        break;
      default:
        break;
    }
  }

  /** A stop or a lost link: the period open at that moment is not a whole period. */
  private closeSession(): void {
    this.isStreaming = false;
    this.periodOpenJ = null;
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** The metadata block as the kit prints it (ppk2-rs test vector's layout), with the live mode and regulator. */
  private metadataText(): string {
    const m = this.modifiers;
    const lines = ['Calibrated: 0'];
    const fixed = (key: string, values: number[], digits: number): void => values.forEach((v, k) => lines.push(`${key}${k}: ${v.toFixed(digits)}`));
    fixed('R', m.r, 4);
    fixed('GS', m.gs, 4);
    fixed('GI', m.gi, 4);
    fixed('O', m.o, 4);
    lines.push(`VDD: ${this.vddMv}`, 'HW: 9173', `mode: ${this.mode === 'ampere' ? 1 : 2}`);
    fixed('S', m.s, 9);
    fixed('I', m.i, 9);
    fixed('UG', m.ug, 2);
    lines.push('IA: 56', 'END', '');
    return lines.join('\n');
  }

  private tick(): void {
    const port = this.port;
    if (!this.isStreaming || port === null) {
      return;
    }
    const due = Math.floor(((performance.now() - this.streamStartMs) / 1000) * this.rateHz) - this.streamedSamples;
    if (due <= 0) return;
    const count = Math.min(due, PPK2_SIM_MAX_BATCH_SAMPLES);
    if (port.writableLength > PPK2_SIM_MAX_PENDING_BYTES) {
      // Not drained: these samples are lost on the kit's side; the counter goes on.
      this.skip(count, 'stalled');
      return;
    }
    const bytes = Buffer.allocUnsafe(count * 4);
    let written = 0;
    const dropEvery = this.options.dropEverySamples ?? 0;
    const dropCount = this.options.dropSamples ?? 0;
    for (let k = 0; k < count; k += 1) {
      if (dropEvery > 0 && this.sinceDrop >= dropEvery) {
        this.sinceDrop = -dropCount;
      }
      this.sinceDrop += 1;
      if (this.sinceDrop <= 0) {
        this.skip(1, 'dropped');
        continue;
      }
      bytes.writeUInt32LE(this.sample(), written * 4);
      written += 1;
    }
    this.streamedSamples += count;
    if (written > 0) port.write(bytes.subarray(0, written * 4));
  }

  /** The next DUT sample as a word, with its truth. */
  private sample(): number {
    const profile = this.options.profile;
    const n = this.dutSample;
    const busy = isBusy(profile, n) && this.isDutOnOrAmpere();
    const noise = profile.noiseFraction === 0 ? 0 : (this.random() * 2 - 1) * profile.noiseFraction;
    const currentA = this.isDutOnOrAmpere() ? nominalCurrentA(profile, n) * (1 + noise) : 0;
    const logic = busy ? 1 << profile.logicChannel : 0;
    const encoded = this.encoder.encode(currentA, this.counter, logic);
    const voltageV = (this.mode === 'source' ? this.vddMv : profile.ampereSupplyMv) / 1000;
    const energyJ = encoded.currentA * voltageV * (PPK2_SAMPLE_PERIOD_US / 1e6);
    const truth = this.truth;
    truth.samplesWritten += 1;
    if (this.lossRun > 0) {
      truth.counterVisibleLost += this.lossRun % 64;
      if (this.options.keepSampleEnergies === true && this.lossRun % 64 > 0) {
        truth.streamVisibleLosses.at(-1)!.push({ atSample: truth.streamSampleEnergyJ.at(-1)!.length, lost: this.lossRun % 64 });
      }
      this.lossRun = 0;
    }
    truth.energyJ += energyJ;
    if (this.options.keepSampleEnergies === true) truth.streamSampleEnergyJ.at(-1)!.push(energyJ);
    truth.chargeC += encoded.currentA * (PPK2_SAMPLE_PERIOD_US / 1e6);
    if (busy && this.lastBusy === false) {
      truth.bursts += 1;
      if (this.options.keepSampleEnergies === true) truth.streamBurstStarts.at(-1)!.push(truth.streamSampleEnergyJ.at(-1)!.length - 1);
      if (this.periodOpenJ !== null && truth.periodEnergyJ.length < PPK2_SIM_MAX_RECORDED_PERIODS) truth.periodEnergyJ.push(this.periodOpenJ);
      this.periodOpenJ = 0;
    }
    if (this.periodOpenJ !== null) this.periodOpenJ += energyJ;
    this.lastBusy = busy;
    this.counter = (this.counter + 1) & 63;
    this.dutSample += 1;
    return encoded.word;
  }

  private isDutOnOrAmpere(): boolean {
    return this.mode === 'ampere' || this.isDutOn;
  }

  /** Samples that never reach the host: the DUT and the counter go on, the open period is no longer whole. */
  private skip(count: number, why: 'stalled' | 'dropped'): void {
    if (why === 'stalled') {
      this.truth.samplesStalled += count;
      this.streamedSamples += count;
    } else {
      this.truth.samplesDropped += count;
    }
    this.counter = (this.counter + count) & 63;
    this.dutSample += count;
    this.lossRun += count;
    this.periodOpenJ = null;
    this.lastBusy = null;
  }
}
