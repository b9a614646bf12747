import { parseArgs } from 'node:util';
import { describePorts } from '../../ingest/serial/discovery.js';
import { systemListPorts } from '../../ingest/serial/port-factory.js';
import type { CliCommand } from '../command.js';

const USAGE = `tinyml-footprint ports [--json]

Lists serial ports with their USB vendor/product ids and whether auto-discovery recognises the board
(table: src/ingest/serial/usb-ids.ts).`;

export const portsCommand: CliCommand = {
  summary: 'list serial ports, their USB VID:PID and whether the board is recognised',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
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
      port.recognised === null ? 'no' : `yes: ${port.recognised.name}`,
    ]);
    const header = ['PATH', 'VID:PID', 'MANUFACTURER', 'SERIAL', 'RECOGNISED'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    for (const row of [header, ...rows]) {
      process.stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`);
    }
    return 0;
  },
};
