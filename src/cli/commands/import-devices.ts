/** `import-devices`: register a fleet manifest (JSON or CSV) with a running service, in bulk requests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../domain/errors.js';
import { MAX_DEVICES_PER_REQUEST } from '../../http/limits.js';
import { API_TOKEN_FILE } from '../../server/api-token.js';
import { DEFAULT_HTTP_PORT } from '../../server/core-config.js';
import { defaultDataDir } from '../../store/data-dir.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';
import { parseDeviceManifest } from '../device-manifest.js';

const NOTES = `Sends POST /api/devices with arrays of up to ${MAX_DEVICES_PER_REQUEST} devices, one after the other (each one
transaction on the service). Without --skip-existing a device that exists already stops the import with 409 at its
request (the requests before it stay registered; run again with --skip-existing to go on). The token is --token,
else TINYML_API_TOKEN, else <data-dir>/api-token. A JSON summary goes to stdout.`;

export const importDevicesCommand: CliCommand = defineCommand({
  name: 'import-devices',
  synopsis: '<manifest.json|manifest.csv> [options]',
  description: 'Registers every device of a fleet manifest: a JSON array of POST /api/devices bodies, or CSV with a header row of the same fields.',
  positionals: true,
  options: {
    url: { type: 'string', value: '<url>', env: 'TINYML_URL', default: `http://127.0.0.1:${DEFAULT_HTTP_PORT}`, help: 'the running service' },
    token: { type: 'string', value: '<token>', env: 'TINYML_API_TOKEN', help: 'API token (write endpoints)' },
    'data-dir': { type: 'string', value: '<dir>', env: 'TINYML_DATA_DIR', default: '~/.tinyml-footprint', help: 'where to read api-token without --token' },
    format: { type: 'string', value: '<json|csv>', help: 'manifest format (default: from the file extension)' },
    'skip-existing': { type: 'boolean', help: 'leave devices that exist as they are instead of stopping' },
  },
  notes: NOTES,
  async run({ values, positionals }) {
    if (positionals.length !== 1) {
      process.stderr.write(`${importDevicesCommand.usage()}\n`);
      return 2;
    }
    const file = positionals[0] as string;
    const format = values.format ?? (path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'json');
    if (format !== 'json' && format !== 'csv') throw new ConfigError(`--format must be json or csv, got "${format}"`);
    const devices = parseDeviceManifest(readFileSync(file, 'utf8'), format);
    const token = values.token !== undefined && values.token !== '' ? values.token : readToken(values['data-dir'] ?? defaultDataDir());
    const base = (values.url ?? `http://127.0.0.1:${DEFAULT_HTTP_PORT}`).replace(/\/+$/, '');
    const query = values['skip-existing'] === true ? '?existing=skip' : '';
    const startMs = performance.now();
    let created = 0;
    let existing = 0;
    let requests = 0;
    for (let from = 0; from < devices.length; from += MAX_DEVICES_PER_REQUEST) {
      const chunk = devices.slice(from, from + MAX_DEVICES_PER_REQUEST);
      const response = await fetch(`${base}/api/devices${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(chunk),
      });
      requests += 1;
      const answer = (await response.json().catch(() => ({}))) as { created?: number; existing?: string[]; detail?: string; errors?: string[] };
      if (response.status !== 201) {
        const errors = (answer.errors ?? []).slice(0, 10).map((line) => `  ${line}\n`);
        process.stderr.write(
          `error: devices ${from}–${from + chunk.length - 1} refused (${response.status}): ${answer.detail ?? response.statusText}\n${errors.join('')}` +
            `${created} devices registered before them stay registered\n`,
        );
        return 1;
      }
      created += answer.created ?? 0;
      existing += answer.existing?.length ?? 0;
    }
    const durationMs = Math.round(performance.now() - startMs);
    process.stdout.write(`${JSON.stringify({ devices: devices.length, created, existing, requests, durationMs })}\n`);
    return 0;
  },
});

function readToken(dataDir: string): string {
  const file = path.join(dataDir.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'), API_TOKEN_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError(`no API token: give --token or TINYML_API_TOKEN, or --data-dir of the service (${file} not readable)`);
  }
}
