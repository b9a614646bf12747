import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERIAL_RECONNECT_BACKOFF as DEFAULT_BACKOFF } from '../../../src/ingest/serial/port-supervisor.js';
import { backoffDelayMs } from '../../../src/util/backoff.js';
import { describePorts } from '../../../src/ingest/serial/discovery.js';
import { findSerialDriver } from '../../../src/ingest/serial/drivers/registry.js';
import { startSerialReaders } from '../../../src/ingest/serial/index.js';
import type { SerialReaders } from '../../../src/ingest/serial/index.js';
import type { PortInfo } from '../../../src/ingest/serial/port-factory.js';
import { KNOWN_USB_DEVICES, recogniseUsbDevice } from '../../../src/ingest/serial/usb-ids.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { HealthRegistry } from '../../../src/obs/health-registry.js';
import { FakeSink } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const MockBinding = SerialPortMock.binding; // the CJS instance serialport uses (see serial-reader.mock.test.ts)

function info(path: string, vendorId?: string, productId?: string): PortInfo {
  return { path, vendorId, productId, manufacturer: undefined, serialNumber: undefined, pnpId: undefined, locationId: undefined };
}

/** The discovery interval of the scan-in-flight test (ms of fake time). */
const DISCOVERY_INTERVAL_MS = 10;

let readers: SerialReaders | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await readers?.stop();
  readers = null;
  MockBinding.reset();
});

describe('USB board recognition', () => {
  it.each([
    ['2341', '0043', 'Arduino (all boards)'],
    ['0483', '374B', 'ST-LINK/V2-1 VCP (Nucleo, Discovery)'],
    ['0x0483', '374e', 'STLINK-V3 VCP (STM32H573I-DK, Nucleo-64 rev C)'],
    ['1915', 'c00a', 'Nordic Power Profiler Kit II (PPK2)'],
    ['1915', '520f', 'Nordic Semiconductor (nRF52/53 USB CDC, nRF Connect SDK samples)'],
    ['0483', '5740', 'ST X-NUCLEO-LPM01A PowerShield (STM32 CDC virtual COM port)'],
    ['303a', '1001', 'Espressif USB-Serial/JTAG and native USB (ESP32-S2/S3/C3/C6)'],
    ['2e8a', '000a', 'Raspberry Pi (RP2040/RP2350 Pico, CDC)'],
    ['10c4', 'ea60', 'Silicon Labs CP210x UART bridge (ESP32 DevKitC, many ESP boards)'],
    ['1a86', '7523', 'WCH CH340 UART bridge (clone boards)'],
    ['403', '6001', 'FTDI FT232R UART bridge'],
  ])('%s:%s is %s', (vid, pid, name) => {
    expect(recogniseUsbDevice(vid, pid)?.name).toBe(name);
  });

  it('does not recognise unknown products of pinned vendors, unknown vendors, or ports without ids', () => {
    expect(recogniseUsbDevice('10c4', 'ea70')).toBeUndefined();
    expect(recogniseUsbDevice('0403', '6015')).toBeUndefined();
    expect(recogniseUsbDevice('046d', 'c52b')).toBeUndefined();
    expect(recogniseUsbDevice(undefined, undefined)).toBeUndefined();
  });

  it('every table entry has lowercase 4-hex ids and a source', () => {
    for (const entry of KNOWN_USB_DEVICES) {
      expect(entry.vendorId).toMatch(/^[0-9a-f]{4}$/);
      if (entry.productId !== null) expect(entry.productId).toMatch(/^[0-9a-f]{4}$/);
      expect(entry.source.length).toBeGreaterThan(10);
    }
  });

  it('describePorts marks recognised ports', () => {
    const listed = describePorts([info('/dev/ttyACM0', '2341', '0043'), info('/dev/ttyS0')]);
    expect(listed.map((p) => [p.path, p.recognised !== null])).toEqual([
      ['/dev/ttyACM0', true],
      ['/dev/ttyS0', false],
    ]);
  });

  it('maps a USB id to the driver discovery opens it with; an unknown device is opened by none', () => {
    const listed = describePorts([info('/dev/ttyACM0', '2341', '0043'), info('/dev/ttyACM1', '0483', '5740'), info('/dev/ttyUSB0', '046d', 'c52b')]);
    expect(listed.map((p) => [p.path, p.recognised?.driver ?? null])).toEqual([
      ['/dev/ttyACM0', 'tmf1'],
      ['/dev/ttyACM1', 'lpm01a'],
      ['/dev/ttyUSB0', null],
    ]);
    const unknown = listed[2]!;
    expect(unknown.driver).toBeNull();
    expect(unknown.notOpened).toMatch(/unknown USB device.*--serial/);
  });

  it('every table entry names a driver, and the drivers discovery opens are in the registry', () => {
    for (const entry of KNOWN_USB_DEVICES) expect(entry.driver).toMatch(/^[a-z0-9]+$/);
    const opened = describePorts(KNOWN_USB_DEVICES.map((entry, i) => info(`/dev/tty${i}`, entry.vendorId, entry.productId ?? '0001')));
    for (const port of opened) {
      if (port.driver !== null) expect(findSerialDriver(port.driver)?.name).toBe(port.recognised?.driver);
      else expect(port.notOpened).toMatch(/driver "[a-z0-9]+" is not available/);
    }
  });
});

describe('auto-discovery', () => {
  it('supervises recognised ports found by a rescan, ignores the others', async () => {
    MockBinding.createPort('/dev/ttyACM7', { echo: false, record: false });
    let listing: PortInfo[] = [info('/dev/ttyS0')];
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [],
        autoDiscover: true,
        baudRate: 115200,
        discoveryIntervalS: 0.02,
        listPorts: async () => listing,
        portFactory: ({ path, baudRate }) => new SerialPortMock({ path, baudRate, autoOpen: false }),
      },
      new FakeSink(),
      health,
    );
    expect(readers.paths()).toEqual([]);
    listing = [info('/dev/ttyS0'), info('/dev/ttyACM7', '2e8a', '000a')]; // a Pico is plugged in
    await waitFor('the Pico to be supervised and connected', () => health.snapshot().some((s) => s.name === 'serial:/dev/ttyACM7' && s.state === 'connected'));
    expect(readers.paths()).toEqual(['/dev/ttyACM7']);
    expect(health.snapshot().find((s) => s.name === 'serial:discovery')?.counters['ports']).toBe(1);
  });

  it('stop() waits for a scan in flight, and a scan finishing after stop starts no port loop', async () => {
    // Time is the discovery interval's: fake, advanced by hand (the mock port and the promises run as they would).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    MockBinding.createPort('/dev/ttyACM8', { echo: false, record: false });
    let scans = 0;
    let finishScan: (ports: PortInfo[]) => void = () => undefined;
    let opens = 0;
    const health = new HealthRegistry();
    readers = await startSerialReaders(
      {
        ports: [],
        autoDiscover: true,
        baudRate: 115200,
        discoveryIntervalS: DISCOVERY_INTERVAL_MS / 1000,
        listPorts: () => {
          scans += 1;
          if (scans === 1) return Promise.resolve([]);
          return new Promise<PortInfo[]>((resolve) => (finishScan = resolve)); // a slow udev scan
        },
        portFactory: ({ path, baudRate }) => {
          opens += 1;
          return new SerialPortMock({ path, baudRate, autoOpen: false });
        },
      },
      new FakeSink(),
      health,
    );
    await vi.advanceTimersByTimeAsync(DISCOVERY_INTERVAL_MS); // the second scan starts, and hangs
    await vi.advanceTimersByTimeAsync(5 * DISCOVERY_INTERVAL_MS); // ticks meanwhile (no overlapping scan: checked below)
    let isStopped = false;
    const stopping = readers.stop().then(() => (isStopped = true));
    await vi.advanceTimersByTimeAsync(2 * DISCOVERY_INTERVAL_MS);
    expect(isStopped).toBe(false); // still waiting for the scan
    finishScan([info('/dev/ttyACM8', '2341', '0043')]); // ... which finds an Arduino, after stop()
    await stopping;
    readers = null;
    await vi.advanceTimersByTimeAsync(5 * DISCOVERY_INTERVAL_MS);
    expect(opens).toBe(0);
    expect(health.snapshot().some((s) => s.name === 'serial:/dev/ttyACM8')).toBe(false);
    expect(scans).toBe(2); // the interval never started a scan beside the one in flight
  });

  it('rejects a nonsensical configuration with ConfigError', async () => {
    await expect(startSerialReaders({ ports: [], autoDiscover: false, baudRate: 0 }, new FakeSink(), new HealthRegistry())).rejects.toThrow(ConfigError);
    await expect(startSerialReaders({ ports: [], autoDiscover: false, baudRate: 9600, windowS: 0 }, new FakeSink(), new HealthRegistry())).rejects.toThrow(
      ConfigError,
    );
  });
});

describe('backoff', () => {
  it('doubles from the initial delay up to the cap, with jitter in [cap/2, cap]', () => {
    const caps = [0, 1, 2, 3, 10, 100].map((attempt) => backoffDelayMs(DEFAULT_BACKOFF, attempt, () => 1));
    expect(caps).toEqual([250, 500, 1000, 2000, 10_000, 10_000]);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 3, () => 0)).toBe(1000);
  });
});
