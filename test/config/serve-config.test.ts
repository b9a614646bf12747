import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../src/config/serve-config.js';
import { resolveApiToken } from '../../src/server/api-token.js';

describe('serve configuration', () => {
  it('defaults: port 8080, data outside the repository, the seed spec, discovery on', () => {
    const config = loadServeConfig([], { HOME: '/home/someone' });
    expect(config.port).toBe(8080);
    expect(config.dataDir.startsWith(process.cwd())).toBe(false);
    expect(config.defaults).toEqual({ system: 'kws-typical', training: 'densenet', trainingDevices: 1, grid: 'epa', lifetimeYears: 3, chargerEfficiency: 1 });
    expect(config.serial).toEqual({ ports: [], autoDiscover: true, baudRate: 115200 });
  });

  it('flags win over the environment, which wins over defaults', () => {
    const env = { PORT: '9000', TINYML_DATA_DIR: '/tmp/a', TINYML_SERIAL_PORTS: '/dev/ttyACM0, /dev/ttyUSB1', TINYML_DEFAULT_GRID: 'FRA' };
    expect(loadServeConfig([], env)).toMatchObject({ port: 9000, dataDir: '/tmp/a', serial: { ports: ['/dev/ttyACM0', '/dev/ttyUSB1'] }, defaults: { grid: 'FRA' } });
    expect(loadServeConfig(['--port', '9100', '--data-dir', '/tmp/b'], env)).toMatchObject({ port: 9100, dataDir: '/tmp/b' });
  });

  it('rejects a bad port, a bad baud rate and unknown flags', () => {
    expect(() => loadServeConfig(['--port', '70000'], {})).toThrow(/port/);
    expect(() => loadServeConfig(['--baud', 'fast'], {})).toThrow(/baud/);
    expect(() => loadServeConfig(['--colour'], {})).toThrow(/Unknown option/);
  });

  it('generates an API token once (mode 0600) and reuses it; the environment overrides it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-token-'));
    const first = resolveApiToken(undefined, dir);
    expect(first.origin).toBe('generated');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.file, 'utf8').trim()).toBe(first.token);
    expect(resolveApiToken(undefined, dir)).toMatchObject({ origin: 'file', token: first.token });
    expect(resolveApiToken('from-env', dir)).toMatchObject({ origin: 'env', token: 'from-env' });
  });
});
