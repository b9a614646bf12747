/** Bad flags are the user's to fix: exit 2 with a reason, before anything is opened, created or issued. */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliSync } from '../helpers/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'tmf-cli-validation-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = runCliSync(args, 30_000);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The simulator's temp dirs in `dir`. */
const simDirs = (dir: string): string[] => readdirSync(dir).filter((name) => name.startsWith('tinyml-sim-'));

describe('CLI flag validation', () => {
  it.each([
    [['measure', '/dev/null', '--duration', '30d'], /--duration .*7 days/],
    [['measure', '/dev/null', '--duration', '0'], /--duration must be positive/],
    [['measure', '/dev/null', '--duration', '-5s'], /duration/],
    [['measure', '/dev/null', '--device-id', 'no spaces allowed'], /--device-id/],
    [['measure', '/dev/null', '--device-id', '..'], /--device-id/],
    [['simulate', 'fleet', '--url', 'nope'], /--url .*"nope"/],
    [['simulate', 'fleet', '--interval', '1s', '--window', '10s'], /--window .* must not exceed --interval/],
    [['simulate', 'fleet', '--url', 'http://example.com'], /--url/],
    [['mqtt-credentials', '--data-dir', scratch, '--devices', '100001'], /--devices .*100000/],
  ])('%j exits 2 with a reason', (args, reason) => {
    const result = cli(...args);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(2);
  });

  it('simulate serial --baud 0 exits 2 without creating a pty or temp dir', () => {
    // a temp directory of its own: other test files running at the same time create simulator dirs in the shared one
    const ownTmp = mkdtempSync(join(scratch, 'tmp-'));
    const result = runCliSync(['simulate', 'serial', '--baud', '0'], 30_000, { env: { TMPDIR: ownTmp } });
    expect(result.stderr).toMatch(/--baud/);
    expect(result.status).toBe(2);
    expect(result.stdout).not.toMatch(/open this port/);
    expect(simDirs(ownTmp)).toEqual([]);
  });

  it('simulate fleet --credentials with a file that is not JSON exits 2 naming the file', () => {
    const file = join(scratch, 'not-json.txt');
    writeFileSync(file, 'sim-0001=secret\n');
    const result = cli('simulate', 'fleet', '--credentials', file, '--count', '1');
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/not JSON/);
    expect(result.status).toBe(2);
  });
});

describe('mqtt-credentials --out', () => {
  it('an unwritable --out exits 2 before anything is issued', () => {
    const dataDir = join(scratch, 'data-unwritable');
    const result = cli('mqtt-credentials', '--data-dir', dataDir, '--device', 'dev-1', '--out', join(scratch, 'missing-dir', 'creds.json'));
    expect(result.stderr).toMatch(/nothing was issued/);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('replaces an existing 0644 file with a 0600 one holding the new passwords', () => {
    const out = join(scratch, 'creds.json');
    writeFileSync(out, '{}\n');
    chmodSync(out, 0o644);
    const result = cli('mqtt-credentials', '--data-dir', join(scratch, 'data-ok'), '--device', 'dev-1', '--out', out);
    expect(result.status, result.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const passwords = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    expect(typeof passwords['dev-1']).toBe('string');
    expect(readdirSync(scratch).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
