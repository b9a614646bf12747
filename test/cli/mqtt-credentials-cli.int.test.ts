/** `mqtt-credentials` says what it wrote where, and that serve must use the same --data-dir (real CLI process). */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE, SqliteCredentialStore } from '../../src/broker/credential-store.js';
import { runCli } from '../helpers/cli.js';

describe('mqtt-credentials output', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('with --out: the passwords go to the file, stderr names the file, the credential store and serve --data-dir', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-creds-'));
    dirs.push(dataDir);
    const out = path.join(dataDir, 'fleet.json');
    const run = await runCli(['mqtt-credentials', '--data-dir', dataDir, '--devices', '3', '--device-prefix', 'cli', '--fleet', 'lab', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    const passwords = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    expect(Object.keys(passwords)).toEqual(['cli-0001', 'cli-0002', 'cli-0003']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(run.stderr).toContain('issued 3 MQTT passwords (cli-0001 … cli-0003, fleet lab)');
    expect(run.stderr).toContain(path.join(dataDir, CREDENTIALS_FILE));
    expect(run.stderr).toContain(`passwords written to ${out}`);
    expect(run.stderr).toContain(`serve --data-dir ${dataDir}`);
    const store = SqliteCredentialStore.openInDataDir(dataDir);
    try {
      expect(await store.count()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('without --out: the JSON alone on stdout (pipeable), the summary on stderr', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-creds-'));
    dirs.push(dataDir);
    const run = await runCli(['mqtt-credentials', '--data-dir', dataDir, '--device', 'node-9']);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(JSON.parse(run.stdout) as Record<string, string>)).toEqual(['node-9']);
    expect(run.stderr).toContain('issued 1 MQTT password (node-9)');
    expect(run.stderr).toContain('passwords printed on stdout');
    expect(run.stderr).toContain(`serve --data-dir ${dataDir}`);
  });
});
