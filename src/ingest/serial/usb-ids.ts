/**
 * USB serial adapters, dev boards and instruments recognised by auto-discovery, each with the driver it is opened
 * with (drivers/registry.ts). A port matches on vendor id and product id first, then on a vendor-wide entry
 * (productId null); vendors like FTDI and SiLabs also sell chips used by non-measurement gear, so we pin those.
 * A device on no line here is never opened unless configured (`--serial <path>`).
 */
export interface KnownUsbDevice {
  /** Lowercase 4-hex-digit vendor id, as `SerialPort.list()` reports it on Linux. */
  vendorId: string;
  /** Lowercase product id, or null for "any product of this vendor". */
  productId: string | null;
  name: string;
  /** The driver discovery opens it with: `tmf1` for boards (they print TMF1 lines), an instrument's own otherwise. */
  driver: string;
  source: string;
}

export const KNOWN_USB_DEVICES: readonly KnownUsbDevice[] = Object.freeze([
  {
    vendorId: '2341',
    productId: null,
    name: 'Arduino (all boards)',
    driver: 'tmf1',
    source: 'arduino/ArduinoCore-* boards.txt vid.N=0x2341; mlcommons/tiny devices_kws_ic_vww.yaml (UNO 2341:0043)',
  },
  {
    vendorId: '2a03',
    productId: null,
    name: 'Arduino (arduino.org boards)',
    driver: 'tmf1',
    source: 'mlcommons/tiny devices_kws_ic_vww.yaml (2a03:0043, 2a03:0243)',
  },
  {
    vendorId: '0483',
    productId: '374b',
    name: 'ST-LINK/V2-1 VCP (Nucleo, Discovery)',
    driver: 'tmf1',
    source: 'stlink-org/stlink udev rules 49-stlinkv2-1.rules',
  },
  {
    vendorId: '0483',
    productId: '374e',
    name: 'STLINK-V3 VCP (STM32H573I-DK, Nucleo-64 rev C)',
    driver: 'tmf1',
    source: 'mlcommons/tiny devices_kws_ic_vww.yaml (STM32H573I-DK 0483:374E)',
  },
  { vendorId: '0483', productId: '3752', name: 'STLINK-V3 VCP (2 VCPs)', driver: 'tmf1', source: 'stlink-org/stlink udev rules 49-stlinkv3.rules' },
  { vendorId: '0483', productId: '3753', name: 'STLINK-V3 VCP', driver: 'tmf1', source: 'stlink-org/stlink udev rules 49-stlinkv3.rules' },
  {
    vendorId: '0483',
    productId: '5740',
    name: 'ST X-NUCLEO-LPM01A PowerShield (STM32 CDC virtual COM port)',
    driver: 'lpm01a',
    source: 'mlcommons/tiny devices_kws_ic_vww.yaml (LPM01A 0483:5740); ST USB device library CDC example',
  },
  {
    vendorId: '1915',
    productId: null,
    name: 'Nordic Semiconductor (nRF52/53 USB CDC, nRF Connect SDK samples)',
    driver: 'tmf1',
    source: 'NordicSemiconductor/pc-nrfconnect-ppk (PPK2 1915:c00a); Zephyr CONFIG_USB_DEVICE_VID default 0x2FE3 for samples, 1915 for Nordic DKs',
  },
  {
    vendorId: '1915',
    productId: 'c00a',
    name: 'Nordic Power Profiler Kit II (PPK2)',
    driver: 'ppk2',
    source: 'NordicSemiconductor/pc-nrfconnect-ppk (PPK2 1915:c00a)',
  },
  { vendorId: '1366', productId: null, name: 'SEGGER J-Link VCP (nRF DKs)', driver: 'tmf1', source: 'SEGGER J-Link udev rules 99-jlink.rules' },
  {
    vendorId: '303a',
    productId: null,
    name: 'Espressif USB-Serial/JTAG and native USB (ESP32-S2/S3/C3/C6)',
    driver: 'tmf1',
    source: 'espressif/usb-pids allocated-pids.txt',
  },
  { vendorId: '2e8a', productId: null, name: 'Raspberry Pi (RP2040/RP2350 Pico, CDC)', driver: 'tmf1', source: 'raspberrypi/usb-pid Readme.md' },
  {
    vendorId: '239a',
    productId: null,
    name: 'Adafruit (Feather, QT Py, CircuitPython boards)',
    driver: 'tmf1',
    source: 'adafruit/Adafruit_nRF52_Bootloader and circuitpython mpconfigboard.mk USB_VID 0x239A',
  },
  {
    vendorId: '10c4',
    productId: 'ea60',
    name: 'Silicon Labs CP210x UART bridge (ESP32 DevKitC, many ESP boards)',
    driver: 'tmf1',
    source: 'Linux drivers/usb/serial/cp210x.c id_table',
  },
  { vendorId: '1a86', productId: '7523', name: 'WCH CH340 UART bridge (clone boards)', driver: 'tmf1', source: 'Linux drivers/usb/serial/ch341.c id_table' },
  {
    vendorId: '1a86',
    productId: '55d4',
    name: 'WCH CH9102 UART bridge (ESP32 boards)',
    driver: 'tmf1',
    source: 'Linux drivers/usb/class/cdc-acm.c / ch343 driver',
  },
  { vendorId: '0403', productId: '6001', name: 'FTDI FT232R UART bridge', driver: 'tmf1', source: 'Linux drivers/usb/serial/ftdi_sio_ids.h FTDI_8U232AM_PID' },
  {
    vendorId: '0403',
    productId: '6010',
    name: 'FTDI FT2232 (dual UART / JTAG, many eval boards)',
    driver: 'tmf1',
    source: 'Linux drivers/usb/serial/ftdi_sio_ids.h FTDI_8U2232C_PID',
  },
  { vendorId: '0403', productId: '6014', name: 'FTDI FT232H', driver: 'tmf1', source: 'Linux drivers/usb/serial/ftdi_sio_ids.h FTDI_232H_PID' },
  {
    vendorId: '0d28',
    productId: '0204',
    name: 'Arm DAPLink / mbed CMSIS-DAP VCP (micro:bit, FRDM)',
    driver: 'tmf1',
    source: 'ARMmbed/DAPLink docs (0d28:0204)',
  },
]);

function normaliseId(id: string | undefined): string | null {
  if (id === undefined || id === '') return null;
  return id.toLowerCase().replace(/^0x/, '').padStart(4, '0');
}

/** The table entry a port's VID/PID matches, or undefined. */
export function recogniseUsbDevice(vendorId: string | undefined, productId: string | undefined): KnownUsbDevice | undefined {
  const vid = normaliseId(vendorId);
  if (vid === null) return undefined;
  const pid = normaliseId(productId);
  return (
    KNOWN_USB_DEVICES.find((d) => d.vendorId === vid && d.productId !== null && d.productId === pid) ??
    KNOWN_USB_DEVICES.find((d) => d.vendorId === vid && d.productId === null)
  );
}
