import { describePorts } from '../../ingest/serial/discovery.js';
import { systemListPorts } from '../../ingest/serial/port-factory.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';

export const portsCommand: CliCommand = defineCommand({
  name: 'ports',
  synopsis: '[--json]',
  description:
    'Lists serial ports with their USB vendor/product ids, whether auto-discovery recognises the device and with\n' +
    'which driver serve would open it (table: src/ingest/serial/usb-ids.ts; drivers: src/ingest/serial/drivers/).\n' +
    'A device shown with driver "-" is opened only when configured: --serial <path>[,driver=<name>].',
  options: { json: { type: 'boolean', help: 'print the list as JSON' } },
  async run({ values }) {
    const ports = describePorts(await systemListPorts());
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(ports, null, 2)}\n`);
      return 0;
    }
    if (ports.length === 0) {
      process.stdout.write('no serial ports found\n');
      return 0;
    }
    const rows = ports.map((port) => [
      port.path,
      port.vendorId === null ? '-' : `${port.vendorId}:${port.productId ?? '????'}`,
      port.manufacturer ?? '-',
      port.serialNumber ?? '-',
      port.driver ?? '-',
      port.recognised === null ? 'no' : `yes: ${port.recognised.name}${port.notOpened === null ? '' : ` (not opened: ${port.notOpened})`}`,
    ]);
    const header = ['PATH', 'VID:PID', 'MANUFACTURER', 'SERIAL', 'DRIVER', 'RECOGNISED'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    for (const row of [header, ...rows]) {
      process.stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`);
    }
    return 0;
  },
});
