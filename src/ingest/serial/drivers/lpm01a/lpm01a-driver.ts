/**
 * The LPM01A driver: ST's X-NUCLEO-LPM01A PowerShield in host-controlled mode (UM2269 §4.2–4.5; instruments.md §2).
 *
 * Handshake (`start()`), one command at a time, each answered `PowerShield > ack <command>` or refused
 * `PowerShield > error <command>` (`err` in the manual) with an `Error detail:` line:
 *   htc → powershield (board id) → version → volt → freq → acqtime → output → format → eventsrc d7 fal → start
 * Whatever an earlier run left (samples still queued, a stale ack) is read and dropped until the reply to the command
 * sent. When `htc` is refused because an acquisition is still running (the cable was cut mid-acquisition, so nobody
 * sent `stop`), the driver sends `stop`, waits for its end, and sends `htc` again. `eventsrc` is not in UM2269 (the
 * MLCommons runner sends it): refused, the run goes on without markers.
 *
 * Streaming: the instrument sends no time; sample k is at k / rate (µs, mod 2³²) on the device timeline. Power is
 * the sample's energy / period (`output energy`) or current × the set voltage (`output current`; UM2269: the
 * effective voltage is within ±1 % of the target). TimeStamp lines (every 1000 samples) are checked against the
 * sample count. `event NN ris` lines are markers (settings.inferencesPerRun).
 *
 * Stop (`stop()`: shutdown, Ctrl-C, silence, a failure): `stop`, its end (`end`, summary, `Acquisition completed`, or
 * an ack), then `hrc`, so the instrument is released to its own buttons. After a cut cable nothing can be sent: the
 * next session's handshake stops the orphaned acquisition.
 */
import { Counters, ReasonCounts, total, type CounterSpecs } from '../../../../obs/counters.js';
import { UINT32_RANGE } from '../../../integrate/energy-integrator.js';
import { SampleTimeline } from '../../../integrate/sample-timeline.js';
import type { DriverContext, DriverSession, SerialDriver, WindowEnd } from '../../driver.js';
import { formatVoltage, LPM01A_FREQUENCIES_HZ } from './lpm01a-codec.js';
import { Lpm01aDecoder, type Lpm01aMessage } from './lpm01a-decoder.js';
import { LPM01A_SETTING_KEYS, parseLpm01aSettings, type Lpm01aSettings } from './lpm01a-settings.js';

/** 3 686 400 bits/s 8N1 (UM2269 Table 2; the MLCommons runner, Zephyr's harness, ST's GUI). */
export const LPM01A_BAUD = 3_686_400;
/** A reply to a command comes within ms; 1 s covers a busy host [I: no figure in UM2269]. */
export const LPM01A_REPLY_TIMEOUT_MS = 1_000;
/** `stop` ends with `end`, the summary and `Acquisition completed` within ms; bounded below DRIVER_STOP_TIMEOUT_MS with the `hrc` after it. */
export const LPM01A_STOP_TIMEOUT_MS = 1_200;
export const LPM01A_RELEASE_TIMEOUT_MS = 500;
/** After an `error` reply, its `Error detail:` line is waited for this long. */
const ERROR_DETAIL_WAIT_MS = 100;
/** UM2269 §4.4.1: a TimeStamp line after every 1000 samples. */
export const LPM01A_SAMPLES_PER_TIMESTAMP = 1000;
/** Lost coverage: a step of more than 2.5 sample periods is a gap (as for TMF1 samples). */
const GAP_AFTER_SAMPLE_PERIODS = 2.5;

export const LPM01A_SESSION_COUNTERS = {
  commands: total('Commands written to the instrument.'),
  samples: total('Samples integrated.'),
  flushedSamples: total('Samples read before the acquisition this session started (left from an earlier run): dropped.'),
  timestamps: total('TimeStamp metadata read (every 1000 samples).'),
  timestampMismatches: total('TimeStamps that did not follow 1000 samples after the one before (samples lost or added).'),
  markers: total('Event markers (D7) read.'),
  instrumentErrors: total('Errors the instrument reported during an acquisition (voltage drop, overcurrent).'),
  orphanedAcquisitions: total('Acquisitions found running at the handshake (a cut cable) and stopped.'),
  windows: total('Windows drafted.'),
  coveredUs: total('Device time covered by the drafted windows.', 'microseconds'),
  lostCoverageUs: total('Device time not covered: gaps between samples.', 'microseconds'),
} as const satisfies CounterSpecs<string>;

export const LPM01A_REJECT_REASONS = [
  'partial_sample',
  'reserved_word',
  'bad_metadata',
  'overlong_line',
  /** A line the LPM01A never sends (a TMF1 board's line, noise). */
  'unknown_line',
  /** A reply to no command waiting for one (left from an earlier run). */
  'stale_reply',
  /** Bytes of a sample cut by the end of the session (unplug, cut cable). */
  'cut_sample',
] as const;
type RejectReason = (typeof LPM01A_REJECT_REASONS)[number];

type State = 'handshake' | 'streaming' | 'stopping' | 'done';

interface Waiter {
  /** The first word of the command the reply must name (`ack freq 1k` answers `freq`). */
  command: string;
  resolve(text: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** An error reply: the instrument refused a command. */
export class Lpm01aRefusal extends Error {}

class Lpm01aSession implements DriverSession {
  private readonly count = new Counters(LPM01A_SESSION_COUNTERS);
  private readonly rejections = new ReasonCounts(LPM01A_REJECT_REASONS);
  private readonly decoder: Lpm01aDecoder;
  private readonly settings: Lpm01aSettings;
  private readonly periodUs: number;
  private state: State = 'handshake';
  private waiter: Waiter | null = null;
  private refusal: { text: string; timer: NodeJS.Timeout } | null = null;
  /** Resolved by `end`, `Acquisition completed` or `ack stop` while a stop is waited for. */
  private onAcquisitionEnd: (() => void) | null = null;
  private isHostControlled = false;
  private timeline: SampleTimeline | null = null;
  private deviceId: string | null;
  private sampleIndex = 0;
  private samplesSinceTimestamp = 0;
  private hasTimestamp = false;
  private markerCount = 0;
  private chunkMs = 0;
  /** What came instead of a reply during the handshake, for the error message. */
  private foreign: string | null = null;
  private foreignIsTmf1 = false;
  private lastWindowEndValue: WindowEnd | null;
  private coveredBaseUs = 0;

  constructor(private readonly context: DriverContext<Lpm01aSettings>) {
    this.settings = context.settings;
    this.periodUs = 1e6 / this.settings.rateHz;
    this.deviceId = context.fixedDeviceId;
    this.lastWindowEndValue = context.previousWindowEnd;
    this.decoder = new Lpm01aDecoder({ sample: (value) => this.onSample(value), message: (message) => this.onMessage(message) });
  }

  get counters(): Record<string, number> {
    const counters = this.count.snapshot();
    if (this.timeline !== null) counters.lostCoverageUs = this.timeline.stats.lostUs;
    return counters;
  }

  get rejected(): Record<string, number> {
    return this.rejections.snapshot() as Record<string, number>;
  }

  get lastWindowEnd(): WindowEnd | null {
    return this.lastWindowEndValue;
  }

  data(chunk: Buffer): void {
    this.chunkMs = this.context.nowMs();
    this.decoder.push(chunk);
    this.deliver();
  }

  async start(): Promise<void> {
    const { settings } = this;
    await this.takeControl();
    const boardId = await this.query('powershield');
    const version = await this.query('version');
    await this.command(`volt ${formatVoltage(settings.voltageV)}`);
    await this.command(`freq ${LPM01A_FREQUENCIES_HZ[settings.rateHz]}`);
    await this.command(`acqtime ${settings.acquisitionS === null ? 'inf' : String(settings.acquisitionS)}`);
    await this.command(`output ${settings.output}`);
    await this.command(`format ${settings.format === 'ascii' ? 'ascii_dec' : 'bin_hexa'}`);
    await this.command('eventsrc d7 fal').catch((error: unknown) => {
      if (!(error instanceof Lpm01aRefusal)) throw error; // undocumented command: without it, no markers
    });
    this.deviceId ??= `lpm01a-${boardId ?? this.context.path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
    this.timeline = new SampleTimeline({
      instrument: 'lpm01a',
      runsAreInferenceSpans: true,
      source: this.context.source,
      integrator: { windowUs: this.context.integrator.windowUs, maxGapUs: this.periodUs * GAP_AFTER_SAMPLE_PERIODS },
      deviceId: this.deviceId,
      power: (tMs, powerW) => this.context.power(this.deviceId as string, tMs, powerW),
      floorMs: this.lastWindowEndValue?.deviceId === this.deviceId ? this.lastWindowEndValue.endMs : Number.NEGATIVE_INFINITY,
    });
    this.context.device({
      deviceId: this.deviceId,
      board: `LPM01A PowerShield${boardId === null ? '' : ` ${boardId}`}`,
      ...(version === null ? {} : { firmware: version }),
    });
    this.decoder.binaryAfterStart = settings.format === 'binary';
    await this.command('start');
    this.state = 'streaming';
  }

  async stop(): Promise<void> {
    const wasStreaming = this.state === 'streaming';
    this.state = 'stopping';
    this.cancelWaiter();
    if (wasStreaming) await this.stopAcquisition(LPM01A_STOP_TIMEOUT_MS);
    if (this.isHostControlled) {
      await this.command('hrc', LPM01A_RELEASE_TIMEOUT_MS).catch(() => undefined);
      this.isHostControlled = false;
    }
    this.state = 'done';
  }

  end(): Promise<void> {
    this.state = 'done';
    this.cancelWaiter();
    if (this.decoder.pendingBytes > 0) this.reject('cut_sample');
    this.timeline?.reset();
    this.deliver();
    return Promise.resolve();
  }

  /** `htc`; refused while an earlier acquisition still runs: `stop` it, then `htc` again. */
  private async takeControl(): Promise<void> {
    try {
      await this.command('htc');
    } catch (error) {
      if (!(error instanceof Lpm01aRefusal)) throw error;
      this.count.add('orphanedAcquisitions');
      await this.stopAcquisition(LPM01A_STOP_TIMEOUT_MS);
      await this.command('htc');
    }
    this.isHostControlled = true;
  }

  /** Writes `stop` and waits for the acquisition's end (any of its signs), at most `timeoutMs`. */
  private stopAcquisition(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onAcquisitionEnd = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.onAcquisitionEnd = done;
      this.write('stop');
    });
  }

  /** A query whose ack carries data (`ack powershield <id>`, `ack version: 1.0.7`): the data, or null if refused. */
  private async query(command: string): Promise<string | null> {
    try {
      const text = await this.command(command);
      const data = text
        .slice(command.length)
        .replace(/^[:\s]+/, '')
        .trim();
      return data === '' ? null : data;
    } catch (error) {
      if (error instanceof Lpm01aRefusal) return null;
      throw error;
    }
  }

  /** Writes a command and waits for the ack naming it: the ack's text; rejects on an error reply or no reply. */
  private command(command: string, timeoutMs = LPM01A_REPLY_TIMEOUT_MS): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const word = command.split(' ')[0]!;
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(this.noReplyMessage(command, timeoutMs)));
      }, timeoutMs);
      this.waiter = { command: word, resolve, reject, timer };
      this.write(command);
    });
  }

  private write(command: string): void {
    this.count.add('commands');
    this.context.write(`${command}\r\n`);
  }

  private noReplyMessage(command: string, timeoutMs: number): string {
    const expected = `expected the LPM01A's reply "PowerShield > ack ${command}" on ${this.context.path} within ${timeoutMs} ms`;
    if (this.foreignIsTmf1) return `${expected}, got TMF1 lines ("${this.foreign}"): a TMF1 board, not an LPM01A? read it with driver=tmf1`;
    if (this.foreign !== null)
      return `${expected}, got "${this.foreign}", which the LPM01A never sends (another device, or a wrong baud rate; the LPM01A runs at ${LPM01A_BAUD})`;
    return `${expected}, got nothing: is an LPM01A on this port, at ${LPM01A_BAUD} baud?`;
  }

  private cancelWaiter(): void {
    if (this.waiter !== null) {
      clearTimeout(this.waiter.timer);
      this.waiter = null;
    }
    if (this.refusal !== null) {
      clearTimeout(this.refusal.timer);
      this.refusal = null;
    }
  }

  private onSample(value: number): void {
    const timeline = this.timeline;
    if (this.state !== 'streaming' && this.state !== 'stopping') {
      this.count.add('flushedSamples');
      return;
    }
    if (timeline === null) return;
    const powerW = this.settings.output === 'energy' ? value / (this.periodUs / 1e6) : value * this.settings.voltageV;
    const tUs = (this.sampleIndex * this.periodUs) % UINT32_RANGE;
    this.sampleIndex += 1;
    this.samplesSinceTimestamp += 1;
    this.count.add('samples');
    timeline.push(tUs, powerW * 1e6, this.chunkMs);
  }

  private onMessage(message: Lpm01aMessage): void {
    switch (message.type) {
      case 'ack':
        this.onAck(message.text);
        return;
      case 'error':
        this.onRefusal(message.text);
        return;
      case 'errorDetail':
        if (this.refusal !== null) this.refuse(this.refusal.text, message.text);
        return;
      case 'prompt':
        if (/^acquisition completed/i.test(message.text)) this.onAcquisitionEnd?.();
        return;
      case 'end':
        this.onAcquisitionEnd?.();
        if (this.state === 'streaming')
          this.context.fail(`the LPM01A ended the acquisition by itself (acqtime ${this.settings.acquisitionS ?? 'inf'} s, or a reset): restarting it`);
        return;
      case 'timestamp':
        this.onTimestamp();
        return;
      case 'event':
        this.onMarker();
        return;
      case 'acquisitionError':
      case 'overcurrent':
      case 'targetPowerDown':
        this.count.add('instrumentErrors');
        return;
      case 'unknown':
        this.reject('unknown_line');
        if (this.state === 'handshake' && this.foreign === null) {
          this.foreign = message.text.slice(0, 60);
          this.foreignIsTmf1 = message.text.startsWith('$TMF1');
        }
        return;
      case 'garbage':
        this.reject(message.what);
        return;
      default:
        return;
    }
  }

  private onAck(text: string): void {
    const waiter = this.waiter;
    const word = text.split(/[\s:]/)[0];
    if (word === 'stop') this.onAcquisitionEnd?.();
    if (waiter === null || word !== waiter.command) {
      if (word !== 'stop') this.reject('stale_reply');
      return;
    }
    clearTimeout(waiter.timer);
    this.waiter = null;
    waiter.resolve(text);
  }

  /** `error <command>`: its `Error detail:` line usually follows; waited for briefly. */
  private onRefusal(text: string): void {
    if (this.waiter === null || text.split(' ')[0] !== this.waiter.command) {
      this.reject('stale_reply');
      return;
    }
    const timer = setTimeout(() => this.refuse(text, null), ERROR_DETAIL_WAIT_MS);
    this.refusal = { text, timer };
  }

  private refuse(text: string, detail: string | null): void {
    const waiter = this.waiter;
    if (this.refusal !== null) clearTimeout(this.refusal.timer);
    this.refusal = null;
    if (waiter === null) return;
    clearTimeout(waiter.timer);
    this.waiter = null;
    waiter.reject(
      new Lpm01aRefusal(`the LPM01A on ${this.context.path} refused "${text}": error ${text}${detail === null ? '' : ` (Error detail: ${detail})`}`),
    );
  }

  private onTimestamp(): void {
    if (this.state !== 'streaming' && this.state !== 'stopping') return;
    this.count.add('timestamps');
    if (this.hasTimestamp && this.samplesSinceTimestamp !== LPM01A_SAMPLES_PER_TIMESTAMP) this.count.add('timestampMismatches');
    this.hasTimestamp = true;
    this.samplesSinceTimestamp = 0;
  }

  private onMarker(): void {
    if ((this.state !== 'streaming' && this.state !== 'stopping') || this.timeline === null) return;
    this.count.add('markers');
    const perRun = this.settings.inferencesPerRun;
    if (perRun === null) {
      this.timeline.countInference(1);
    } else {
      const opensRun = this.markerCount % 2 === 0;
      this.timeline.marker(opensRun ? 0 : perRun, opensRun);
    }
    this.markerCount += 1;
  }

  private reject(reason: RejectReason): void {
    this.rejections.count(reason);
  }

  private deliver(): void {
    const timeline = this.timeline;
    if (timeline === null || this.deviceId === null) return;
    const windows = timeline.takeWindows();
    if (windows.length === 0) return;
    for (const window of windows) {
      this.count.add('windows');
      this.coveredBaseUs += window.endUs - window.startUs;
    }
    this.count.set('coveredUs', this.coveredBaseUs);
    const last = windows.at(-1)!.draft;
    this.lastWindowEndValue = { deviceId: this.deviceId, endMs: last.startMs + last.durationS * 1000 };
    this.context.windows(windows.map((window) => window.draft));
  }
}

export const lpm01aDriver: SerialDriver<Lpm01aSettings> = {
  name: 'lpm01a',
  title: 'an ST X-NUCLEO-LPM01A PowerShield (host-controlled mode, UM2269)',
  defaultBaud: LPM01A_BAUD,
  familyName: 'serial_lpm01a',
  sessionCounters: LPM01A_SESSION_COUNTERS,
  reasons: LPM01A_REJECT_REASONS,
  settingKeys: LPM01A_SETTING_KEYS,
  parseSettings: parseLpm01aSettings,
  open: (context) => new Lpm01aSession(context),
};
