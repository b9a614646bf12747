/**
 * Protocol state of one serial session (one open of a port): lines in → hello, energy windows and live power out.
 * No I/O: the clock is injected and outputs go to callbacks, so the supervisor, the CLI and the bench share it.
 */
import { Counters, ReasonCounts, gauge, total, type CounterSpecs } from '../../obs/counters.js';
import { PARSE_REASONS, type EventMessage, type HelloMessage, type ParseReason, type SampleMessage, type WindowMessage } from '../../protocol/messages.js';
import { parseLine } from '../../protocol/line-parser.js';
import { HALF_UINT32_RANGE, UINT32_RANGE } from '../integrate/energy-integrator.js';
import type { IntegratorConfig } from '../integrate/energy-integrator.js';
import { SampleTimeline, type TimelineWindow } from '../integrate/sample-timeline.js';
import { measuredQuantities } from '../window-mapping.js';
import type { DeviceHello } from '../window-sink.js';
import { PreHelloBuffer } from './pre-hello-buffer.js';
import type { WindowDraft } from './window-delivery.js';

export { LIVE_POWER_INTERVAL_US } from '../integrate/sample-timeline.js';
/**
 * When the hello announces its sample period, a step of more than 2.5 periods between samples is a gap (lost
 * coverage, not energy): one lost line (2 periods) is bridged, two or more are not. A burst of 1 kHz lines dropped by a
 * slow host would otherwise be bridged from the sleep samples on either side, and its energy would vanish unseen.
 */
export const GAP_AFTER_SAMPLE_PERIODS = 2.5;
/**
 * A session's sample windows are held, not delivered, until it is clear whether the device also sends its own `W`
 * windows (then those win, SPEC §2): until the first `W`, or until 12 s of device time since the first sample. A
 * device that streams both SHOULD close a `W` at least every 10 s (the example firmware does); 2 s of margin cover
 * line order and the device's ms/µs clocks. A `W` later than that finds samples already stored (see overlaps_samples).
 */
export const SAMPLE_WINDOW_HOLD_US = 12_000_000;
/** Held windows beyond this many (tiny --window values) are delivered oldest first: the hold stays bounded. */
export const MAX_HELD_SAMPLE_WINDOWS = 1_024;
/** A device window's span (arrival − duration_ms, on the device timeline) is compared with sample windows to 10 ms: durations are whole ms and a device's ms and µs clocks differ by a few. */
export const SPAN_TOLERANCE_US = 10_000;

/**
 * Lines that need a device id and arrive before the session's first hello are kept, up to 16 384 lines and 512 KiB,
 * and replayed (with their arrival times) when the hello comes. serialport flushes the input queue when it opens a
 * port, so a hello the board sent just before is lost, and without this every line would be rejected until the next
 * periodic hello (up to 60 s). 16 384 lines hold 16 s at 1 kHz (hello every 1–10 s recommended); on overflow the
 * oldest line is dropped and counted `before_hello`, as is whatever is still kept when the session ends.
 */
export const PRE_HELLO_MAX_LINES = 16_384;
export const PRE_HELLO_MAX_BYTES = 512 * 1024;

type DeviceMessage = SampleMessage | WindowMessage | EventMessage;

interface PreHelloLine {
  message: DeviceMessage;
  atMs: number;
}

/** Where a session takes energy from: not known yet (sample windows held), samples, or the device's `W` windows. */
type EnergySource = 'undecided' | 'samples' | 'windows';

/** A sample window closed but not delivered, with its span on the device timeline. */
type HeldWindow = TimelineWindow;

export interface LineSessionOptions {
  /** `serial:<path>`: stored with every window. */
  source: string;
  integrator: IntegratorConfig;
  /** Device id configured for the port; used until (and unless) a hello names another. */
  fixedDeviceId: string | null;
  nowMs: () => number;
  /** Where the last window of the previous session on this port ended: the next one of that device starts after it. */
  previousWindowEnd?: { deviceId: string; endMs: number } | null;
}

export interface LineSessionOutput {
  /** A device started talking on this session (first hello, or a hello naming another device). */
  device(hello: DeviceHello): void;
  windows(windows: readonly WindowDraft[]): void;
  power(deviceId: string, tMs: number, powerW: number): void;
}

/** The counters of a serial session, summed per port across its sessions (port-supervisor.ts) and shown in health. */
export const LINE_SESSION_COUNTERS = {
  lines: total('Lines read (complete, terminated).'),
  ignoredLines: total('Lines that are no protocol message (no $TMF1 prefix: boot logs, debug prints).'),
  messages: total('Protocol messages accepted.'),
  hellos: total('hello messages.'),
  samples: total('S (sample) messages.'),
  events: total('E (inference event) messages.'),
  deviceWindows: total('W (device window) messages.'),
  deviceWindowsLost: total('W windows the device numbered but that never arrived (seq steps).'),
  preHelloLines: gauge('Lines kept before the first hello, now (PRE_HELLO_MAX_LINES).'),
  preHelloReplayed: total('Lines kept before the first hello and replayed once it came.'),
  sampleWindowsSuperseded: total("Sample windows not stored because the device's own W windows cover their span (SPEC §2)."),
  heldWindows: gauge('Sample windows closed and held until the energy source is known (SAMPLE_WINDOW_HOLD_US), now.'),
  heldEnergyUj: gauge('Energy of the held sample windows, now.', 'microjoules'),
  heldCoveredUs: gauge('Device time covered by the held sample windows, now.', 'microseconds'),
  windows: total('Windows delivered (sample or device windows).'),
  clockResets: total('Device clocks that went backwards (a reboot): a new timeline.'),
  gaps: total('Gaps between samples longer than the bridged maximum.'),
  lostCoverageUs: total('Device time not covered by any window (gaps, lost W windows).', 'microseconds'),
  lostBeforeReadingUs: total('Of the gaps: device time that passed before this session was reading (a backlog, then the live stream).', 'microseconds'),
  coveredUs: total('Device time covered by the delivered windows.', 'microseconds'),
} as const satisfies CounterSpecs<string>;

export type LineSessionCounterKey = keyof typeof LINE_SESSION_COUNTERS;
export type LineSessionCounters = Record<LineSessionCounterKey, number>;

/** Why a session rejects a line or sample: the line parser's reasons, and the session's own. */
export const SERIAL_REJECT_REASONS = [
  ...PARSE_REASONS.filter((reason): reason is Exclude<ParseReason, 'not_message'> => reason !== 'not_message'),
  /** Lines that needed a device id and found no hello (overflowing the pre-hello buffer, or left at the session's end). */
  'before_hello',
  /** A sample at the time of the one before, or a W with the seq of the one before. */
  'repeated',
  /** A sample earlier than the one before, within the same timeline. */
  'out_of_order',
  /** A first W later than the samples already delivered over its span (they would count twice). */
  'overlaps_samples',
] as const;

export type SerialRejectReason = (typeof SERIAL_REJECT_REASONS)[number];

export class LineSession {
  private readonly count = new Counters(LINE_SESSION_COUNTERS);
  private readonly rejections = new ReasonCounts(SERIAL_REJECT_REASONS);

  deviceId: string | null;
  hello: HelloMessage | null = null;
  private timeline: SampleTimeline;
  private source: EnergySource = 'undecided';
  /** Device time of the first sample since the source became undecided, µs (null: none yet). */
  private holdFromUs: number | null = null;
  private readonly held: HeldWindow[] = [];
  private readonly preHello = new PreHelloBuffer<PreHelloLine>(PRE_HELLO_MAX_LINES, PRE_HELLO_MAX_BYTES);
  /** End of the last sample window delivered, on the device timeline, µs. */
  private deliveredEndUs = Number.NEGATIVE_INFINITY;
  private lastDeviceSeq: number | null = null;
  private hasAnnounced = false;
  /** Lost coverage counted apart from the current integrator's gaps (earlier integrators, W losses), µs. */
  private lostBaseUs = 0;
  private lostBeforeReadingBaseUs = 0;
  /** Host time the line being handled was received at (nowMs() when it arrived), ms. */
  private lineMs = 0;
  /** End of the last window delivered (sample or device window), host ms. */
  private lastWindowEndMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: LineSessionOptions,
    private readonly output: LineSessionOutput,
  ) {
    this.deviceId = options.fixedDeviceId;
    this.timeline = this.newTimeline(options.integrator);
    this.continueAfterPreviousSession();
  }

  /** A timeline for the current device; its windows start after `floorMs` (the last window's end, host ms). */
  private newTimeline(integrator: IntegratorConfig, floorMs = Number.NEGATIVE_INFINITY): SampleTimeline {
    const timeline = new SampleTimeline({
      source: this.options.source,
      integrator,
      deviceId: this.deviceId,
      power: (tMs, powerW) => this.output.power(this.deviceId as string, tMs, powerW),
      floorMs,
    });
    timeline.setDrafting(this.source !== 'windows');
    return timeline;
  }

  get counters(): LineSessionCounters {
    return this.count.snapshot();
  }

  /** Rejected lines and samples by reason (parser reasons plus before_hello, repeated, out_of_order, overlaps_samples). */
  get rejected(): Partial<Record<SerialRejectReason, number>> {
    return this.rejections.snapshot();
  }

  handleLine(line: string): void {
    this.lineMs = this.options.nowMs();
    this.count.add('lines');
    const message = parseLine(line);
    switch (message.type) {
      case 'failure':
        if (message.reason === 'not_message') this.count.add('ignoredLines');
        else this.reject(message.reason);
        return;
      case 'hello':
        this.count.add('messages');
        this.onHello(message);
        return;
      default:
        if (this.deviceId === null) this.keepUntilHello(message, line.length);
        else this.onDeviceMessage(message);
    }
  }

  /**
   * End of session: the open window is closed and delivered, held ones too (nothing measured is dropped at a
   * disconnect; no W came, so samples were the energy source). Lines still waiting for a hello are rejected.
   */
  end(): void {
    this.closeEnergy();
    const waiting = this.preHello.takeAll().length;
    this.rejections.count('before_hello', waiting);
    this.count.set('preHelloLines', 0);
  }

  private closeEnergy(): void {
    this.timeline.reset();
    this.drainWindows();
    this.releaseHeld(this.held.length);
  }

  private onDeviceMessage(message: DeviceMessage): void {
    this.announceConfigured();
    this.count.add('messages');
    switch (message.type) {
      case 'sample':
        this.onSample(message);
        return;
      case 'window':
        this.onDeviceWindow(message);
        return;
      case 'event':
        this.count.add('events');
        if (message.kind === 'end' && this.source !== 'windows') this.timeline.countInference();
        return;
    }
  }

  /** A line that needs a device id before the first hello: kept (bounded, oldest dropped and counted) for replay. */
  private keepUntilHello(message: DeviceMessage, bytes: number): void {
    const dropped = this.preHello.push({ message, atMs: this.lineMs }, bytes);
    this.rejections.count('before_hello', dropped);
    this.count.set('preHelloLines', this.preHello.size);
  }

  /** The first hello came: what arrived before it is this device's, in order, at the times it arrived. */
  private replayPreHello(): void {
    if (this.preHello.size === 0) return;
    const kept = this.preHello.takeAll();
    this.count.set('preHelloLines', 0);
    const helloMs = this.lineMs;
    for (const { message, atMs } of kept) {
      this.lineMs = atMs;
      this.onDeviceMessage(message);
    }
    this.lineMs = helloMs;
    this.count.add('preHelloReplayed', kept.length);
    // The hello came after these lines: if the next sample goes backwards, the device rebooted in between.
    this.timeline.armClockReset();
  }

  /** Where this session's last window of `deviceId` ended (host ms), for the next session on the port. */
  get lastWindowEnd(): { deviceId: string; endMs: number } | null {
    return this.deviceId === null || !Number.isFinite(this.lastWindowEndMs) ? null : { deviceId: this.deviceId, endMs: this.lastWindowEndMs };
  }

  private continueAfterPreviousSession(): void {
    const previous = this.options.previousWindowEnd;
    this.lastWindowEndMs = previous !== undefined && previous !== null && previous.deviceId === this.deviceId ? previous.endMs : Number.NEGATIVE_INFINITY;
    this.timeline.draftEndMs = this.lastWindowEndMs;
  }

  private reject(reason: SerialRejectReason): void {
    this.rejections.count(reason);
  }

  /** Announces a configured device id on first use (a hello announces its own). */
  private announceConfigured(): void {
    if (this.hasAnnounced || this.deviceId === null) return;
    this.hasAnnounced = true;
    this.output.device({ deviceId: this.deviceId });
  }

  private onHello(hello: HelloMessage): void {
    this.count.add('hellos');
    const deviceId = hello.deviceId ?? this.deviceId;
    if (deviceId === null) return;
    const isNewDevice = deviceId !== this.deviceId || !this.hasAnnounced;
    const periodUs = hello.samplePeriodUs ?? 0;
    const previousPeriodUs = this.hello?.samplePeriodUs ?? 0;
    this.hello = hello;
    if (isNewDevice || periodUs !== previousPeriodUs) {
      this.closeEnergy();
      this.syncCoverage();
      if (deviceId !== this.deviceId) {
        this.deviceId = deviceId;
        this.continueAfterPreviousSession(); // overlap is per device
      }
      this.source = 'undecided';
      this.holdFromUs = null;
      this.deliveredEndUs = Number.NEGATIVE_INFINITY;
      this.lastDeviceSeq = null;
      this.lostBaseUs = this.count.get('lostCoverageUs');
      this.lostBeforeReadingBaseUs = this.count.get('lostBeforeReadingUs');
      this.timeline = this.newTimeline(
        {
          windowUs: this.options.integrator.windowUs,
          // Without an announced period the receiver's max_gap (default 1 s) is all there is to go on.
          maxGapUs: periodUs > 0 ? periodUs * GAP_AFTER_SAMPLE_PERIODS : this.options.integrator.maxGapUs,
        },
        this.timeline.draftEndMs,
      );
    } else {
      this.timeline.armClockReset();
    }
    if (isNewDevice) {
      this.hasAnnounced = true;
      this.output.device({ deviceId, board: hello.board, firmware: hello.firmware });
    }
    this.replayPreHello();
  }

  private onSample(sample: SampleMessage): void {
    this.count.add('samples');
    const verdict = this.timeline.push(sample.tUs, sample.powerUw, this.lineMs);
    switch (verdict) {
      case 'repeated':
      case 'out_of_order':
        this.reject(verdict);
        return;
      case 'clock_reset':
        this.count.add('clockResets');
        break;
      case 'gap':
        this.count.add('gaps');
        break;
      default:
        break;
    }
    this.drainWindows();
    this.holdFromUs ??= this.timeline.lastAbsUs;
    if (this.source === 'undecided' && this.timeline.lastAbsUs - this.holdFromUs >= SAMPLE_WINDOW_HOLD_US) {
      this.source = 'samples'; // no W in time: samples are this session's energy source
      this.releaseHeld(this.held.length);
    }
    this.syncCoverage();
  }

  private onDeviceWindow(window: WindowMessage): void {
    if (this.lastDeviceSeq !== null) {
      const stepSeq = (window.seq - this.lastDeviceSeq + UINT32_RANGE) % UINT32_RANGE;
      if (stepSeq === 0) {
        this.reject('repeated');
        return;
      }
      if (stepSeq < HALF_UINT32_RANGE) {
        this.count.add('deviceWindowsLost', stepSeq - 1);
        this.count.add('lostCoverageUs', (stepSeq - 1) * window.durationMs * 1000); // the lost ones, as long as this one
      }
    }
    this.lastDeviceSeq = window.seq;
    this.count.add('deviceWindows');
    if (this.source !== 'windows' && !this.switchToDeviceWindows(window)) return;
    this.count.add('windows');
    this.count.add('coveredUs', window.durationMs * 1000);
    // Timed by its arrival; never before the end of the window before it (receive jitter must not make them overlap).
    const startMs = Math.max(this.lineMs - window.durationMs, Math.ceil(this.lastWindowEndMs));
    this.lastWindowEndMs = startMs + window.durationMs;
    this.timeline.draftEndMs = this.lastWindowEndMs;
    this.output.windows([
      {
        deviceId: this.deviceId as string,
        startMs,
        ...measuredQuantities(window),
        source: this.options.source,
      },
    ]);
  }

  /**
   * The session's first W (SPEC §2: windows win). Sample windows not delivered yet (held, and the open one) are
   * superseded where the W's span covers them; ones entirely before it are delivered. If sample windows already
   * delivered overlap the W's span (a W later than SAMPLE_WINDOW_HOLD_US), storing it would count that span twice:
   * it is rejected `overlaps_samples`, what samples integrated so far is delivered, and the next W is stored.
   * Either way samples only feed the live trace from now on. Returns whether this W is stored.
   */
  private switchToDeviceWindows(window: WindowMessage): boolean {
    this.timeline.reset();
    this.drainWindows();
    this.timeline.setDrafting(false);
    const hasSamples = this.holdFromUs !== null;
    const spanStartUs = this.timeline.lastAbsUs - window.durationMs * 1000;
    if (hasSamples && this.deliveredEndUs > spanStartUs + SPAN_TOLERANCE_US) {
      this.releaseHeld(this.held.length);
      this.source = 'windows';
      this.reject('overlaps_samples');
      return false;
    }
    let before = 0;
    while (before < this.held.length && this.held[before]!.endUs <= spanStartUs + SPAN_TOLERANCE_US) before += 1;
    this.releaseHeld(before);
    for (const superseded of this.takeHeld(this.held.length)) {
      this.count.add('sampleWindowsSuperseded');
      // Covered by neither: the part of a superseded window before the W's span.
      if (superseded.startUs < spanStartUs) this.count.add('lostCoverageUs', Math.min(superseded.endUs, spanStartUs) - superseded.startUs);
    }
    this.timeline.draftEndMs = this.lastWindowEndMs;
    this.source = 'windows';
    return true;
  }

  /** Closed sample windows to the output, or to the hold while the energy source is undecided. */
  private drainWindows(): void {
    if (this.timeline.pendingWindows === 0) return;
    // With the device's own windows (source 'windows') the timeline drafts none: samples still time the live trace,
    // but their energy would count twice.
    const closed = this.timeline.takeWindows();
    if (closed.length === 0) return;
    for (const window of closed) {
      this.held.push(window);
      this.count.add('heldWindows');
      this.count.add('heldEnergyUj', window.draft.energyJ * 1e6);
      this.count.add('heldCoveredUs', window.endUs - window.startUs);
    }
    const excess = this.held.length - MAX_HELD_SAMPLE_WINDOWS;
    this.releaseHeld(this.source === 'samples' ? this.held.length : Math.max(0, excess));
  }

  /** Delivers the oldest `count` held windows. */
  private releaseHeld(count: number): void {
    if (count <= 0) return;
    const released = this.takeHeld(count);
    for (const { draft, endUs } of released) {
      this.count.add('windows');
      this.count.add('coveredUs', draft.durationS * 1e6);
      this.deliveredEndUs = endUs;
      this.lastWindowEndMs = draft.startMs + draft.durationS * 1000;
    }
    this.output.windows(released.map((w) => w.draft));
  }

  /** Removes the oldest `count` held windows from the hold (and its totals). */
  private takeHeld(count: number): HeldWindow[] {
    const taken = this.held.splice(0, count);
    if (this.held.length === 0) {
      // Exact zeros once empty: no floating residue from adding and taking away.
      this.count.set('heldWindows', 0);
      this.count.set('heldEnergyUj', 0);
      this.count.set('heldCoveredUs', 0);
    } else {
      for (const { draft } of taken) {
        this.count.add('heldWindows', -1);
        this.count.add('heldEnergyUj', -(draft.energyJ * 1e6));
        this.count.add('heldCoveredUs', -(draft.durationS * 1e6));
      }
    }
    return taken;
  }

  /** Lost coverage from sample gaps counts while samples are (or may become) the energy source. */
  private syncCoverage(): void {
    if (this.source === 'windows') return;
    this.count.set('lostCoverageUs', this.lostBaseUs + this.timeline.stats.lostUs);
    this.count.set('lostBeforeReadingUs', this.lostBeforeReadingBaseUs + this.timeline.stats.lostBeforeReadingUs);
  }
}
