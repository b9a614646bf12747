/**
 * The serial driver seam: what a PortSupervisor asks of the protocol spoken on its port.
 *
 * A driver owns everything between the bytes and the windows: framing, decoding, the instrument's command/acknowledge
 * dialogue, its start handshake and its graceful stop. The supervisor owns everything around it and is the same for
 * every driver: opening the port at the configured baud, reconnect with backoff, the data-silence watchdog, the
 * byte counter, window delivery (seqs, retries) and the port's status in /api/health.
 *
 * Contract, per session (one open of the port):
 * 1. The supervisor opens the port, then calls `driver.open(context)` once: a fresh DriverSession (no state survives
 *    a reconnect except `context.previousWindowEnd`).
 * 2. Every chunk read is passed to `session.data(chunk)`, synchronously, in order; chunks cut anywhere (mid-sample,
 *    mid-line, mid-metadata). `data` never throws for bad input: it counts it (`rejected`, counters).
 * 3. `session.start()` runs the handshake (commands written with `context.write`, replies read through `data`). It
 *    resolves when the instrument streams; it rejects with an Error naming what was expected and what came instead
 *    (a TMF1 board where an LPM01A was configured, an error reply): the supervisor ends the session, shows the
 *    message as the port's lastError and backs off. Bytes keep flowing into `data` while it runs.
 * 4. At any time the driver may call `context.fail(message)` for a fatal protocol error: the session ends as in 3.
 * 5. When the session ends with the port still writable (stop, silence, a failure), `session.stop()` runs: the
 *    driver may write (LPM01A `stop` then `hrc`) and wait for replies; the supervisor bounds it by
 *    DRIVER_STOP_TIMEOUT_MS. When the port went away (unplug, cut cable) `stop()` is not called.
 * 6. After the port is closed, `session.end()`: the open window is closed and delivered (nothing measured is dropped
 *    at a disconnect), then `counters`, `rejected` and `lastWindowEnd` are read once more and the session is retired.
 *
 * What every sampling driver shares lives below the seam, not in it: SampleTimeline (src/ingest/integrate) anchors
 * the device timeline to host time, decimates live power and windows the energy through the EnergyIntegrator,
 * including instrument markers (`marker()`, windows `betweenMarkers`).
 *
 * A new instrument is a folder under drivers/ exporting a SerialDriver, plus one line in drivers/registry.ts (and its
 * USB ids in usb-ids.ts).
 */
import type { CounterSpecs } from '../../obs/counters.js';
import type { IntegratorConfig } from '../integrate/energy-integrator.js';
import type { DeviceHello, WindowDraft } from '../window-sink.js';

/** A session's graceful stop may take this long before the port is closed anyway (an LPM01A acks `stop` within ms). */
export const DRIVER_STOP_TIMEOUT_MS = 2_000;

/** Where the last window of a session ended: the next session's windows of that device start after it. */
export interface WindowEnd {
  deviceId: string;
  endMs: number;
}

/** What a driver session gets from its supervisor. `S`: the driver's parsed instrument settings. */
export interface DriverContext<S> {
  /** `serial:<path>`: stored with every window. */
  source: string;
  path: string;
  settings: S;
  /** Device id configured for the port (`device=`); a TMF1 hello overrides it, an instrument without one uses it. */
  fixedDeviceId: string | null;
  integrator: IntegratorConfig;
  nowMs(): number;
  previousWindowEnd: WindowEnd | null;
  /** Writes to the port (a command). Never throws; a failed write shows up as the port's error. */
  write(data: string | Uint8Array): void;
  /** A fatal protocol error: the session ends, `message` becomes the port's lastError. */
  fail(message: string): void;
  /** A device started talking (TMF1 hello, or an instrument once its handshake named the device). */
  device(hello: DeviceHello): void;
  windows(windows: readonly WindowDraft[]): void;
  /** Live power, already decimated (≤ 10 Hz). */
  power(deviceId: string, tMs: number, powerW: number): void;
}

export interface DriverSession {
  data(chunk: Buffer): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  end(): Promise<void>;
  /** The session's counters, under the keys of the driver's `sessionCounters`. */
  readonly counters: Readonly<Record<string, number>>;
  /** Rejected input by reason (reasons of the driver's `reasons`). */
  readonly rejected: Readonly<Record<string, number>>;
  readonly lastWindowEnd: WindowEnd | null;
}

export interface SerialDriver<S = unknown> {
  /** The name in `--serial <path>,driver=<name>` and in drivers/registry.ts. */
  readonly name: string;
  /** What it speaks to, for `ports` and errors ("ST X-NUCLEO-LPM01A PowerShield"). */
  readonly title: string;
  /** Baud rate when the port's config names none. */
  readonly defaultBaud: number;
  /** Health family name of its ports (tinyml_<name>_…); the supervisor adds its own and the delivery's counters. */
  readonly familyName: string;
  readonly sessionCounters: CounterSpecs<string>;
  readonly reasons: readonly string[];
  /** Instrument settings it accepts (`voltage`, `rate`…), with their help text, for `serve --help` and errors. */
  readonly settingKeys: Readonly<Record<string, string>>;
  /** Pure: the raw `key=value` settings of a port → the driver's settings; throws ConfigError naming the key. */
  parseSettings(raw: Readonly<Record<string, string>>): S;
  open(context: DriverContext<S>): DriverSession;
}

/** A driver of any settings type, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- settings are opaque to the supervisor: parsed and handed back by the same driver
export type AnySerialDriver = SerialDriver<any>;
