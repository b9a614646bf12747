/**
 * Commands are imported when they run: `calc` loads none of the service's heavy dependencies (serialport, aedes,
 * mqtt, express), so it starts fast (bench/startup.ts). `serve --help` loads them all, which shows the recorder
 * sees them when they are loaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.js';

const HEAVY_PACKAGES = ['serialport', 'aedes', 'mqtt', 'express'];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'tmf-imports-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The packages under node_modules/ a CLI run resolved, by name. */
function packagesLoadedBy(args: readonly string[]): Set<string> {
  const file = path.join(scratch, `${args.join('-').replace(/[^\w-]/g, '')}.txt`);
  const hooks = path.resolve('test/helpers/record-imports.mjs');
  const result = spawnSync(process.execPath, ['--import', hooks, CLI_PATH, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TMF_RECORD_IMPORTS: file },
    timeout: 60_000,
  });
  expect(result.status, result.stderr).toBe(0);
  const urls = readFileSync(file, 'utf8').split('\n');
  return new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
}

describe('lazy commands', () => {
  it('calc loads none of serialport, aedes, mqtt, express', () => {
    const loaded = packagesLoadedBy(['calc', '--system', 'kws-typical']);
    expect(loaded.has('zod'), 'the recorder saw the packages calc does load').toBe(true);
    expect(HEAVY_PACKAGES.filter((name) => loaded.has(name))).toEqual([]);
  });

  it('serve --help loads them (the service composes every layer)', () => {
    const loaded = packagesLoadedBy(['serve', '--help']);
    expect(HEAVY_PACKAGES.filter((name) => !loaded.has(name))).toEqual([]);
  });
});
