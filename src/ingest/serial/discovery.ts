/** Which serial ports to read: the configured ones plus, with auto-discovery, every port of a known USB board. */
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
}

export function describePorts(ports: readonly PortInfo[]): ListedPort[] {
  return ports.map((port) => ({
    path: port.path,
    vendorId: port.vendorId ?? null,
    productId: port.productId ?? null,
    serialNumber: port.serialNumber ?? null,
    manufacturer: port.manufacturer ?? null,
    recognised: recogniseUsbDevice(port.vendorId, port.productId) ?? null,
  }));
}

export function recognisedPaths(ports: readonly PortInfo[]): string[] {
  return describePorts(ports)
    .filter((port) => port.recognised !== null)
    .map((port) => port.path);
}
