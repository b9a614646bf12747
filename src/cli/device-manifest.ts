/**
 * A fleet manifest (for `import-devices`) from its text: a JSON array of devices (or `{"devices": [...]}`), or CSV with
 * a header row naming the fields of POST /api/devices (id, name, fleet, deployedAt, system, training, grid,
 * lifetimeYears, trainingDevices, chargerEfficiency, batteryCapacityWh, batteryCycleLife). Pure: no I/O. The service
 * validates every device; this only turns rows into objects, numbers into numbers and empty cells into absent fields.
 */
import { ValidationError } from '../domain/errors.js';

export type ManifestDevice = Record<string, unknown>;

const NUMBER_COLUMNS = new Set(['lifetimeYears', 'trainingDevices', 'chargerEfficiency', 'batteryCapacityWh', 'batteryCycleLife']);
const TEXT_COLUMNS = new Set(['id', 'name', 'fleet', 'deployedAt', 'system', 'training', 'grid']);

export function parseDeviceManifest(text: string, format: 'json' | 'csv'): ManifestDevice[] {
  return format === 'json' ? parseJsonManifest(text) : parseCsvManifest(text);
}

function parseJsonManifest(text: string): ManifestDevice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`manifest is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const devices = Array.isArray(parsed) ? parsed : (parsed as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(devices)) throw new ValidationError('a JSON manifest is an array of devices, or {"devices": [...]}');
  devices.forEach((device, index) => {
    if (typeof device !== 'object' || device === null || Array.isArray(device)) throw new ValidationError(`devices[${index}] is not an object`);
  });
  return devices as ManifestDevice[];
}

function parseCsvManifest(text: string): ManifestDevice[] {
  const rows = csvRows(text).filter((row) => !(row.length === 1 && row[0] === ''));
  const header = rows.shift();
  if (header === undefined) throw new ValidationError('the CSV manifest is empty: it needs a header row (id,fleet,…)');
  const columns = header.map((column) => column.trim());
  const unknown = columns.filter((column) => !NUMBER_COLUMNS.has(column) && !TEXT_COLUMNS.has(column));
  if (unknown.length > 0)
    throw new ValidationError(`unknown CSV columns: ${unknown.join(', ')}`, [`known: ${[...TEXT_COLUMNS, ...NUMBER_COLUMNS].join(', ')}`]);
  if (!columns.includes('id')) throw new ValidationError('the CSV manifest needs an id column');
  return rows.map((row, index) => {
    const line = index + 2;
    if (row.length !== columns.length) throw new ValidationError(`CSV line ${line}: ${row.length} fields, the header has ${columns.length}`);
    const device: ManifestDevice = {};
    const battery: Record<string, number> = {};
    columns.forEach((column, position) => {
      const cell = (row[position] as string).trim();
      if (cell === '') return;
      if (!NUMBER_COLUMNS.has(column)) {
        device[column] = cell;
        return;
      }
      const value = Number(cell);
      if (!Number.isFinite(value)) throw new ValidationError(`CSV line ${line}: ${column} is not a number: ${JSON.stringify(cell)}`);
      if (column === 'batteryCapacityWh') battery['capacityWh'] = value;
      else if (column === 'batteryCycleLife') battery['cycleLife'] = value;
      else device[column] = value;
    });
    if (Object.keys(battery).length > 0) device['battery'] = battery;
    return device;
  });
}

/** RFC 4180 rows: fields separated by commas, optionally in double quotes ("" is a quote inside them), CRLF or LF. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (quoted) throw new ValidationError('the CSV manifest ends inside a quoted field');
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}
