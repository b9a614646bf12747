/** `mqtt-credentials`: issue embedded-broker passwords into the data directory (works while `serve` runs). */
import os from 'node:os';
import path from 'node:path';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { CREDENTIALS_FILE, SqliteCredentialStore } from '../../broker/credential-store.js';
import { issueCredential } from '../../broker/issue-credentials.js';
import { ConfigError } from '../../domain/errors.js';
import { simDeviceId } from '../../sim/fleet/fleet-profile.js';
import { defaultDataDir } from '../../store/data-dir.js';
import type { CliCommand } from '../command.js';
import { defineCommand } from '../define-command.js';

/** Most ids one --devices may issue: scrypt makes each one slow, and a typo (1e9) must not run for days. */
export const MAX_CREDENTIAL_DEVICES = 100_000;
/** Above this many devices, progress is shown on stderr (each scrypt hash costs ~50 ms of one core). */
export const PROGRESS_FROM_DEVICES = 50;
/** Progress lines: one per this fraction of the devices. */
const PROGRESS_STEP = 0.1;

const NOTES = `Re-issuing revokes the old password. Passwords are shown once; only scrypt hashes are stored, in
<data-dir>/mqtt-credentials.sqlite: --data-dir must be the one "serve" runs with, or its broker refuses them.
A summary (what was written where) goes to stderr.`;

export const mqttCredentialsCommand: CliCommand = defineCommand({
  name: 'mqtt-credentials',
  options: {
    'data-dir': { type: 'string', value: '<dir>', env: 'TINYML_DATA_DIR', default: '~/.tinyml-footprint', help: "the service's data directory" },
    device: { type: 'string', value: '<id>', multiple: true, help: 'issue for this device' },
    devices: { type: 'string', value: '<n>', help: 'issue for <device-prefix>-0001 … -<n>, the ids of "simulate fleet --devices <n>"' },
    'device-prefix': { type: 'string', value: '<p>', default: 'sim', help: 'prefix of the --devices ids' },
    fleet: { type: 'string', value: '<name>', help: 'bind the credentials to this fleet topic level' },
    out: { type: 'string', value: '<file>', help: 'write {"<device id>": "<password>"} there (mode 0600) instead of stdout' },
  },
  notes: NOTES,
  async run({ values }) {
    const ids = [...(values.device ?? [])];
    if (values.devices !== undefined) {
      const count = Number(values.devices);
      if (!Number.isInteger(count) || count < 1 || count > MAX_CREDENTIAL_DEVICES) {
        throw new ConfigError(`--devices must be an integer from 1 to ${MAX_CREDENTIAL_DEVICES}, got "${values.devices}"`);
      }
      for (let index = 1; index <= count; index += 1) ids.push(simDeviceId(values['device-prefix'] ?? 'sim', index));
    }
    if (ids.length === 0) {
      process.stderr.write(`${mqttCredentialsCommand.usage()}\n`);
      return 2;
    }
    const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
    // Issuing revokes the old passwords: the output must be writable before anything is issued.
    const out = values.out === undefined ? null : prepareOutput(values.out);
    const passwords: Record<string, string> = {};
    const fleet = values.fleet ?? null;
    try {
      const store = SqliteCredentialStore.openInDataDir(dataDir);
      try {
        const issued = await issueAll(ids, (id) => issueCredential(store, id, fleet));
        for (const [index, id] of ids.entries()) passwords[id] = issued[index]!;
      } finally {
        await store.close();
      }
    } catch (error) {
      out?.discard();
      throw error;
    }
    const json = `${JSON.stringify(passwords, null, 2)}\n`;
    if (out === null) {
      process.stdout.write(json);
      process.stderr.write(summary(ids, fleet, dataDir, 'passwords printed on stdout (shown once)'));
      return 0;
    }
    try {
      out.commit(json);
    } catch (error) {
      out.discard();
      // The old passwords are revoked already: printing the new ones beats losing them.
      process.stderr.write(
        `error: could not write ${values.out} (${error instanceof Error ? error.message : String(error)}); the issued passwords follow on stdout\n`,
      );
      process.stdout.write(json);
      return 1;
    }
    process.stderr.write(summary(ids, fleet, dataDir, `passwords written to ${path.resolve(values.out!)} (mode 0600, shown nowhere else)`));
    return 0;
  },
});

/** What was written where, and the one setting that must match for the passwords to work. */
function summary(ids: readonly string[], fleet: string | null, dataDir: string, passwordsWhere: string): string {
  const which = ids.length === 1 ? ids[0]! : ids.length === 2 ? `${ids[0]}, ${ids[1]}` : `${ids[0]} … ${ids[ids.length - 1]}`;
  return [
    `issued ${ids.length} MQTT password${ids.length === 1 ? '' : 's'} (${which}${fleet === null ? '' : `, fleet ${fleet}`}); earlier passwords of these devices are revoked`,
    `scrypt hashes stored in ${path.join(dataDir, CREDENTIALS_FILE)}`,
    passwordsWhere,
    `the embedded broker accepts them only when the service runs on this data directory: serve --data-dir ${dataDir} (or TINYML_DATA_DIR)`,
    '',
  ].join('\n');
}

/**
 * Issue every id, a few at a time (scrypt runs on libuv's thread pool, so this uses the cores), in order of the
 * results; progress on stderr for large batches.
 */
async function issueAll(ids: readonly string[], issue: (id: string) => Promise<{ password: string }>): Promise<string[]> {
  const results: string[] = new Array<string>(ids.length);
  const concurrency = Math.max(1, Math.min(os.availableParallelism(), 4)); // libuv's default pool has 4 threads
  const step = Math.max(1, Math.ceil(ids.length * PROGRESS_STEP));
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const index = next;
      next += 1;
      results[index] = (await issue(ids[index]!)).password;
      done += 1;
      if (ids.length > PROGRESS_FROM_DEVICES && (done % step === 0 || done === ids.length)) process.stderr.write(`issued ${done}/${ids.length}\n`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

interface PreparedOutput {
  /** Writes the JSON to the temp file and renames it over the target (mode 0600, also when the target was 0644). */
  commit(json: string): void;
  discard(): void;
}

/** Creates a private temp file next to the target now, so an unwritable --out fails before any password is issued. */
function prepareOutput(file: string): PreparedOutput {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o600);
  } catch (error) {
    throw new ConfigError(`--out ${file}: cannot write there (${error instanceof Error ? error.message : String(error)}); nothing was issued`);
  }
  let isOpen = true;
  const close = (): void => {
    if (isOpen) closeSync(fd);
    isOpen = false;
  };
  return {
    commit(json) {
      writeSync(fd, json);
      fsyncSync(fd);
      close();
      renameSync(temp, target);
    },
    discard() {
      try {
        close();
      } catch {
        // already unusable
      }
      rmSync(temp, { force: true });
    },
  };
}
