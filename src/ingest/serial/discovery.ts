/**
 * Which serial ports to read: the configured ones plus, with auto-discovery, every port whose USB id is in usb-ids.ts
 * and names a driver that is available (drivers/registry.ts). An unknown device is never opened by discovery.
 */
import { findSerialDriver } from './drivers/registry.js';
import { recogniseUsbDevice } from './usb-ids.js';
import type { KnownUsbDevice } from './usb-ids.js';
import type { PortInfo } from './port-factory.js';

export interface ListedPort {
  path: string;
  vendorId: string | null;
  productId: string | null;
  serialNumber: string | null;
  manufacturer: string | null;
  recognised: KnownUsbDevice | null;
  /** The driver discovery opens the port with; null: not opened unless configured (unknown device, or its driver is not built in). */
  driver: string | null;
  /** Why not, when driver is null. */
  notOpened: string | null;
}

export function describePorts(ports: readonly PortInfo[]): ListedPort[] {
  return ports.map((port) => {
    const recognised = recogniseUsbDevice(port.vendorId, port.productId) ?? null;
    const driver = recognised === null ? undefined : findSerialDriver(recognised.driver);
    let notOpened: string | null = null;
    if (recognised === null) notOpened = 'unknown USB device: opened only with --serial <path>[,driver=…]';
    else if (driver === undefined) notOpened = `its driver "${recognised.driver}" is not available in this build`;
    return {
      path: port.path,
      vendorId: port.vendorId ?? null,
      productId: port.productId ?? null,
      serialNumber: port.serialNumber ?? null,
      manufacturer: port.manufacturer ?? null,
      recognised,
      driver: driver?.name ?? null,
      notOpened,
    };
  });
}

/** The ports discovery opens, each with its driver. */
export function recognisedPorts(ports: readonly PortInfo[]): { path: string; driver: string }[] {
  return describePorts(ports).flatMap((port) => (port.driver === null ? [] : [{ path: port.path, driver: port.driver }]));
}

export function recognisedPaths(ports: readonly PortInfo[]): string[] {
  return recognisedPorts(ports).map((port) => port.path);
}
