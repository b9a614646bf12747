/**
 * The serial drivers by name (`--serial <path>,driver=<name>`). A new instrument is its folder plus one line here
 * (and its USB ids in usb-ids.ts, so discovery opens it with its driver).
 */
import { ConfigError } from '../../../domain/errors.js';
import type { AnySerialDriver } from '../driver.js';
import { lpm01aDriver } from './lpm01a/lpm01a-driver.js';
import { ppk2Driver } from './ppk2/ppk2-driver.js';
import { tmf1Driver } from './tmf1/tmf1-driver.js';

export const SERIAL_DRIVERS: Readonly<Record<string, AnySerialDriver>> = Object.freeze({
  tmf1: tmf1Driver,
  lpm01a: lpm01aDriver,
  ppk2: ppk2Driver,
});

/** The driver a port uses when its config names none. */
export const DEFAULT_SERIAL_DRIVER = 'tmf1';

export function findSerialDriver(name: string): AnySerialDriver | undefined {
  return Object.hasOwn(SERIAL_DRIVERS, name) ? SERIAL_DRIVERS[name] : undefined;
}

/** The named driver, or a ConfigError listing the known ones. */
export function serialDriver(name: string): AnySerialDriver {
  const driver = findSerialDriver(name);
  if (driver === undefined) throw new ConfigError(`serial: unknown driver "${name}" (known: ${Object.keys(SERIAL_DRIVERS).join(', ')})`);
  return driver;
}
