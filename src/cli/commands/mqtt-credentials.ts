/** `mqtt-credentials`: issue embedded-broker passwords into the data directory (works while `serve` runs). */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SqliteCredentialStore } from '../../broker/credential-store.js';
import { issueCredential } from '../../broker/issue-credentials.js';
import { ConfigError } from '../../domain/errors.js';
import { simDeviceId } from '../../ingest/mqtt/sim/fleet-profile.js';
import { defaultDataDir } from '../../store/data-dir.js';
import type { CliCommand } from '../command.js';

const USAGE = `tinyml-footprint mqtt-credentials [options]

  --data-dir <dir>       the service's data directory (env TINYML_DATA_DIR; default ~/.tinyml-footprint)
  --device <id>          issue for this device (repeatable)
  --devices <n>          issue for <device-prefix>-0001 … -<n>, the ids of "simulate fleet --devices <n>"
  --device-prefix <p>    (default sim)
  --fleet <name>         bind the credentials to this fleet topic level
  --out <file>           write {"<device id>": "<password>"} there (mode 0600) instead of stdout
Re-issuing revokes the old password. Passwords are shown once; only scrypt hashes are stored.`;

export const mqttCredentialsCommand: CliCommand = {
  summary: 'issue per-device passwords for the embedded MQTT broker',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        device: { type: 'string', multiple: true },
        devices: { type: 'string' },
        'device-prefix': { type: 'string' },
        fleet: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const ids = [...(values.device ?? [])];
    if (values.devices !== undefined) {
      const count = Number(values.devices);
      if (!Number.isInteger(count) || count < 1) throw new ConfigError(`--devices must be a positive integer, got "${values.devices}"`);
      for (let index = 1; index <= count; index += 1) ids.push(simDeviceId(values['device-prefix'] ?? 'sim', index));
    }
    if (ids.length === 0) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const dataDir = path.resolve(values['data-dir'] ?? process.env.TINYML_DATA_DIR ?? defaultDataDir());
    const store = SqliteCredentialStore.openInDataDir(dataDir);
    const passwords: Record<string, string> = {};
    try {
      for (const id of ids) passwords[id] = (await issueCredential(store, id, values.fleet ?? null)).password;
    } finally {
      await store.close();
    }
    const json = `${JSON.stringify(passwords, null, 2)}\n`;
    if (values.out !== undefined) writeFileSync(values.out, json, { mode: 0o600 });
    else process.stdout.write(json);
    return 0;
  },
};
