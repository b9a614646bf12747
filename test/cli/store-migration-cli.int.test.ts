import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { runCli } from '../helpers/cli.js';
import { energyRunnerSession } from '../helpers/energyrunner-session.js';
import { versionSixFile, WINDOW_COLUMNS } from '../helpers/version-six-store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-cli-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a CLI command opening an older store file', () => {
  it('says the migration once on stderr, with the orphan rows it kept; reopened, nothing', async () => {
    const storeFile = path.join(dir, 'store.sqlite');
    versionSixFile(storeFile, `INSERT INTO energy_windows (${WINDOW_COLUMNS}, commit_seq) VALUES ('gone', 0, 1000, 1, 1, 1, 0, 'http', 0, 'device', 1);`);
    const folder = path.join(dir, '20250612_122741');
    mkdirSync(folder);
    const session = energyRunnerSession({ windows: [{ inferences: 160, energyPerInferenceUJ: 11_200, inferenceSamples: 70 }] });
    for (const file of session.files.filter((f) => f.name !== 'results.txt')) writeFileSync(path.join(folder, file.name), file.bytes);

    const first = await runCli(['import', folder, '--device', 'h7a3', '--store-file', storeFile]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(
      `note: store schema migrated (from 6, to ${LATEST_SCHEMA_VERSION})\n` +
        'warning: store rows without their parent row (e.g. windows of a device deleted outside the service), kept as they were (rows 1)\n',
    );

    const again = await runCli(['import', folder, '--device', 'h7a3', '--store-file', storeFile]);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });
});
