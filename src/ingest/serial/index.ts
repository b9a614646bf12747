/**
 * Serial ingestion entry point for the `serve` composition root:
 *   const readers = await startSerialReaders({ ports, autoDiscover, baudRate, seqStart: storeSeqStart(store) }, ingest, health);
 *   ... await readers.stop();
 */
import { ConfigError } from '../../domain/errors.js';
import { counterFamily, gauge } from '../../obs/counters.js';
import type { HealthRegistry } from '../../obs/health-registry.js';
import { DEFAULT_MAX_GAP_US, DEFAULT_WINDOW_US } from '../integrate/energy-integrator.js';
import type { WindowSink } from '../window-sink.js';
import type { BackoffPolicy } from '../../util/backoff.js';
import { recognisedPorts } from './discovery.js';
import type { AnySerialDriver } from './driver.js';
import { DEFAULT_SERIAL_DRIVER, serialDriver } from './drivers/registry.js';
import { TMF1_DEFAULT_BAUD } from './drivers/tmf1/tmf1-driver.js';
import { systemListPorts, systemPortFactory } from './port-factory.js';
import type { ListPorts, PortFactory } from './port-factory.js';
import { PortSupervisor, SERIAL_RECONNECT_BACKOFF } from './port-supervisor.js';
import { SeqAllocator, epochMsSeqStart } from './seq-allocator.js';
import type { SeqStart } from './seq-allocator.js';
import { WindowDelivery } from './window-delivery.js';
import type { DeliveryRetryPolicy } from './window-delivery.js';

/** Bits/s of a TMF1 board: the Arduino / ST-LINK VCP default, in serve, measure and simulate serial; USB CDC ignores it, UART bridges need it to match. */
export const DEFAULT_SERIAL_BAUD = TMF1_DEFAULT_BAUD;
/** 5 s without a byte ⇒ reconnect. A device sends ≥ 1 line/s (samples, or hello every ≤ 60 s plus windows…). */
export const DEFAULT_SILENCE_TIMEOUT_S = 5;
/** New USB boards are looked for every 2 s (SerialPort.list() costs a udev scan, ~5 ms). */
export const DEFAULT_DISCOVERY_INTERVAL_S = 2;

/** The health of auto-discovery: how many ports are supervised. */
export const SERIAL_DISCOVERY_FAMILY = counterFamily('serial_discovery', { ports: gauge('Serial ports supervised (configured and discovered).') });

/** One port to read and how (serve's `--serial <path>[,driver=…,baud=…,device=…,<setting>=…]`). */
export interface SerialPortConfig {
  path: string;
  /** A name in drivers/registry.ts; DEFAULT_SERIAL_DRIVER (tmf1) when absent. */
  driver?: string;
  /** Bits/s; when absent the reader's `baudRate` for a TMF1 port, the driver's defaultBaud for an instrument. */
  baudRate?: number;
  /** Device id of the windows (an instrument has no hello; a TMF1 hello overrides it). */
  deviceId?: string;
  /** The instrument's settings as `key=value` text, checked by the driver's parseSettings. */
  settings?: Readonly<Record<string, string>>;
}

export interface SerialReaderOptions {
  /** Ports to read: a path (a TMF1 board at `baudRate`) or a port config. */
  ports: readonly (string | SerialPortConfig)[];
  /** Also read every port whose USB VID/PID is in KNOWN_USB_DEVICES (usb-ids.ts), with that entry's driver, rescanned periodically. */
  autoDiscover: boolean;
  /** Bits/s of TMF1 ports that name none; DEFAULT_SERIAL_BAUD unless the board's UART bridge runs another rate. */
  baudRate: number;
  /** Energy window length, device-time seconds. Default 10. */
  windowS?: number;
  /** Longest gap between samples that is still integrated, seconds. Default 1 (or 10 sample periods if larger). */
  maxGapS?: number;
  /** Reconnect after this long without a byte, seconds. Default DEFAULT_SILENCE_TIMEOUT_S. */
  silenceTimeoutS?: number;
  /** Rescan period for auto-discovery, seconds. Default DEFAULT_DISCOVERY_INTERVAL_S. */
  discoveryIntervalS?: number;
  /** Device id per port path, for firmware that never sends hello (or an instrument). A hello overrides it; a port config's `deviceId` wins. */
  deviceIds?: Record<string, string>;
  /** First seq of a session; pass storeSeqStart(store) in serve. Default epochMsSeqStart (SPEC §4.3). */
  seqStart?: SeqStart;
  /** Reconnect backoff. Default SERIAL_RECONNECT_BACKOFF (250 ms doubling to 10 s, equal jitter: uniform in [cap/2, cap]). */
  backoff?: BackoffPolicy;
  /** Retries of failed sink calls (announce, windows). Default DEFAULT_DELIVERY_RETRY (window-delivery.ts). */
  deliveryRetry?: DeliveryRetryPolicy;
  /** Injected for tests (binding-mock); default the OS ports. */
  portFactory?: PortFactory;
  listPorts?: ListPorts;
  nowMs?: () => number;
}

export interface SerialReaders {
  stop(): Promise<void>;
  /** Paths currently supervised (configured + discovered). */
  paths(): string[];
}

interface ResolvedPort {
  path: string;
  driver: AnySerialDriver;
  baudRate: number;
  settings: unknown;
  deviceId: string | null;
}

export async function startSerialReaders(options: SerialReaderOptions, sink: WindowSink, health: HealthRegistry): Promise<SerialReaders> {
  const windowS = options.windowS ?? DEFAULT_WINDOW_US / 1e6;
  const maxGapS = options.maxGapS ?? DEFAULT_MAX_GAP_US / 1e6;
  const silenceTimeoutS = options.silenceTimeoutS ?? DEFAULT_SILENCE_TIMEOUT_S;
  if (!(windowS > 0) || !(maxGapS > 0) || !(silenceTimeoutS > 0)) {
    throw new ConfigError('serial: windowS, maxGapS and silenceTimeoutS must be > 0');
  }
  if (!Number.isInteger(options.baudRate) || options.baudRate <= 0) throw new ConfigError('serial: baudRate must be a positive integer');
  const seqs = new SeqAllocator(options.seqStart ?? epochMsSeqStart);
  const portFactory = options.portFactory ?? systemPortFactory;
  const listPorts = options.listPorts ?? systemListPorts;
  const nowMs = options.nowMs ?? Date.now;
  const supervisors = new Map<string, { supervisor: PortSupervisor }>();
  /** Set by stop(): a discovery scan finishing afterwards must not start a port loop into a closed sink. */
  let isStopped = false;

  /** Checked before any port opens: a bad driver name or setting is a ConfigError naming it. */
  const resolve = (port: string | SerialPortConfig): ResolvedPort => {
    const config: SerialPortConfig = typeof port === 'string' ? { path: port } : port;
    const driver = serialDriver(config.driver ?? DEFAULT_SERIAL_DRIVER);
    const baudRate = config.baudRate ?? (driver.name === DEFAULT_SERIAL_DRIVER ? options.baudRate : driver.defaultBaud);
    if (!Number.isInteger(baudRate) || baudRate <= 0) throw new ConfigError(`serial: ${config.path}: baud must be a positive integer`);
    const settings: unknown = driver.parseSettings(config.settings ?? {});
    return { path: config.path, driver, baudRate, settings, deviceId: config.deviceId ?? options.deviceIds?.[config.path] ?? null };
  };
  const configured = options.ports.map(resolve);

  const supervise = ({ path, driver, baudRate, settings, deviceId }: ResolvedPort): void => {
    if (isStopped || supervisors.has(path)) return;
    const supervisor = new PortSupervisor({
      path,
      baudRate,
      driver,
      settings,
      portFactory,
      delivery: new WindowDelivery(sink, seqs, options.deliveryRetry === undefined ? {} : { retry: options.deliveryRetry }),
      publishPower: (deviceId, tMs, powerW) => sink.publishPower(deviceId, tMs, powerW),
      integrator: { windowUs: windowS * 1e6, maxGapUs: maxGapS * 1e6 },
      fixedDeviceId: deviceId,
      silenceTimeoutMs: silenceTimeoutS * 1000,
      backoff: options.backoff ?? SERIAL_RECONNECT_BACKOFF,
      nowMs,
      random: Math.random,
    });
    health.register(supervisor.name, supervisor);
    supervisors.set(path, { supervisor });
    supervisor.start();
  };

  for (const port of configured) supervise(port);

  let discoveryTimer: NodeJS.Timeout | null = null;
  let discoveryError: string | null = null;
  /** The scan in flight, if any: stop() waits for it, and a tick never starts a second one beside it. */
  let scan: Promise<void> | null = null;
  const scanOnce = async (): Promise<void> => {
    try {
      const listed = await listPorts();
      // Only ports whose USB id names an available driver; anything else is opened only when configured.
      for (const { path, driver } of recognisedPorts(listed)) if (!supervisors.has(path)) supervise(resolve({ path, driver }));
      discoveryError = null;
    } catch (error) {
      discoveryError = error instanceof Error ? error.message : String(error);
    }
  };
  const discover = (): Promise<void> => {
    if (isStopped) return Promise.resolve();
    scan ??= scanOnce().finally(() => {
      scan = null;
    });
    return scan;
  };
  if (options.autoDiscover) {
    await discover();
    const intervalMs = (options.discoveryIntervalS ?? DEFAULT_DISCOVERY_INTERVAL_S) * 1000;
    discoveryTimer = setInterval(() => void discover(), intervalMs);
    health.register('serial:discovery', {
      family: SERIAL_DISCOVERY_FAMILY,
      status: () => ({
        name: 'serial:discovery',
        kind: 'serial',
        state: discoveryTimer === null ? 'stopped' : 'scanning',
        counters: { ports: supervisors.size } satisfies Record<keyof typeof SERIAL_DISCOVERY_FAMILY.counters, number>,
        rejected: {},
        lastError: discoveryError,
      }),
    });
  }

  return {
    paths: () => [...supervisors.keys()],
    async stop() {
      isStopped = true;
      if (discoveryTimer !== null) clearInterval(discoveryTimer);
      discoveryTimer = null;
      await scan;
      // Statuses stay registered, showing `stopped` and the final counters.
      await Promise.all([...supervisors.values()].map(({ supervisor }) => supervisor.stop()));
    },
  };
}

export { storeSeqStart, epochMsSeqStart } from './seq-allocator.js';
export type { SeqStart } from './seq-allocator.js';
export { KNOWN_USB_DEVICES, recogniseUsbDevice } from './usb-ids.js';
export { SERIAL_DRIVERS, DEFAULT_SERIAL_DRIVER, findSerialDriver, serialDriver } from './drivers/registry.js';
export type { SerialDriver, DriverSession, DriverContext } from './driver.js';
