/** How a supervisor gets a port: injected, so tests use @serialport/binding-mock and production uses the OS. */
import { SerialPort } from 'serialport';
import type { SerialPortMock } from 'serialport';

export type SerialPortLike = SerialPort | SerialPortMock;

export interface PortOpenOptions {
  path: string;
  baudRate: number;
}

/** Must return a port created with `autoOpen: false`; the supervisor opens it. */
export type PortFactory = (options: PortOpenOptions) => SerialPortLike;

export const systemPortFactory: PortFactory = ({ path, baudRate }) =>
  // hupcl false: closing must not drop DTR, which resets many Arduinos and would restart the device on every reconnect.
  new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });

/** What `SerialPort.list()` returns per port (path, vendorId, productId, serialNumber…). */
export type PortInfo = Awaited<ReturnType<typeof SerialPort.list>>[number];

export type ListPorts = () => Promise<PortInfo[]>;

export const systemListPorts: ListPorts = () => SerialPort.list();
