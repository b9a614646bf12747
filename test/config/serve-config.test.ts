import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineConfigBlock, mergedOptions } from '../../src/config/config-block.js';
import type { OptionTable } from '../../src/config/option-table.js';
import { ConfigError } from '../../src/domain/errors.js';
import { SERVICE_LAYERS } from '../../src/server/layers.js';
import { loadServeConfig, SERVE_CONFIG_BLOCKS, SERVE_OPTIONS } from '../../src/server/serve-config.js';
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
    expect(loadServeConfig([], env)).toMatchObject({
      port: 9000,
      dataDir: '/tmp/a',
      serial: {
        ports: [
          { path: '/dev/ttyACM0', driver: 'tmf1' },
          { path: '/dev/ttyUSB1', driver: 'tmf1' },
        ],
      },
      defaults: { grid: 'FRA' },
    });
    expect(loadServeConfig(['--port', '9100', '--data-dir', '/tmp/b'], env)).toMatchObject({ port: 9100, dataDir: '/tmp/b' });
  });

  it('rejects a bad port, a bad baud rate and unknown flags', () => {
    expect(() => loadServeConfig(['--port', '70000'], {})).toThrow(/port/);
    for (const spelled of ['0x1F90', '8e3', ' 8080', '8080.0', '']) expect(() => loadServeConfig(['--port', spelled], {})).toThrow(/integer port/);
    expect(() => loadServeConfig(['--baud', 'fast'], {})).toThrow(/baud/);
    expect(() => loadServeConfig(['--colour'], {})).toThrow(/Unknown option/);
  });

  it('generates an API token once (mode 0600) and reuses it; the environment overrides it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-token-'));
    try {
      const first = resolveApiToken(undefined, dir);
      expect(first.origin).toBe('generated');
      expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      expect(readFileSync(first.file, 'utf8').trim()).toBe(first.token);
      expect(resolveApiToken(undefined, dir)).toMatchObject({ origin: 'file', token: first.token });
      expect(resolveApiToken('from-env', dir)).toMatchObject({ origin: 'env', token: 'from-env' });
    } finally {
      rmSync(dir, { recursive: true, force: true }); // unit temp dirs may be on /dev/shm (vitest.config.ts): RAM
    }
  });
});

describe('serve config blocks', () => {
  const optionsOf = (name: string): OptionTable => SERVE_CONFIG_BLOCKS.find((block) => block.name === name)!.options as OptionTable;
  const documented = (block: string, option: string): string => optionsOf(block)[option]!.default!;

  it('the defaults --help and README document are the ones the parsers apply', () => {
    const config = loadServeConfig([], {});
    expect(String(config.port)).toBe(documented('core', 'port'));
    expect(config.host).toBe(documented('core', 'host'));
    expect(config.defaults.system).toBe(documented('core', 'system'));
    expect(config.defaults.grid).toBe(documented('core', 'grid'));
    expect(String(config.serial.baudRate)).toBe(documented('serial', 'baud'));
    expect(config.mqtt.prefix).toBe(documented('mqtt', 'mqtt-prefix'));
    expect(config.mqtt.mode).toMatchObject({ kind: 'embedded', port: Number(documented('mqtt', 'mqtt-port')), host: documented('mqtt', 'mqtt-host') });
    const tls = loadServeConfig(['--mqtt-tls-cert', 'c.pem', '--mqtt-tls-key', 'k.pem'], {}).mqtt.mode;
    expect(tls).toMatchObject({ tls: { port: Number(documented('mqtt', 'mqtt-tls-port')) } });
  });

  it('each layer reads its own block: environment variables, lists, an env value that stands for a flag, env-only secrets', () => {
    const config = loadServeConfig([], {
      TINYML_SERIAL_DISCOVERY: '0',
      TINYML_MQTT_URL: 'mqtt://broker.example:1883',
      TINYML_MQTT_USERNAME: 'svc',
      TINYML_MQTT_PASSWORD: 'secret',
      TINYML_API_TOKEN: 'token-from-env',
    });
    expect(config.serial.autoDiscover).toBe(false);
    expect(config.mqtt.mode).toMatchObject({ kind: 'external', url: 'mqtt://broker.example:1883', username: 'svc', password: 'secret' });
    expect(config.apiToken).toBe('token-from-env');
    // Secrets have no flag (a flag would show in `ps`).
    expect(() => loadServeConfig(['--mqtt-password', 'x'], {})).toThrow(/Unknown option/);
    expect(() => loadServeConfig(['--api-token', 'x'], {})).toThrow(/Unknown option/);
  });

  it('a bad value in any block is a ConfigError naming the option, before anything starts', () => {
    expect(() => loadServeConfig(['--mqtt-port', '99999'], {})).toThrow(ConfigError);
    expect(() => loadServeConfig(['--mqtt-port', '99999'], {})).toThrow(/MQTT port/);
    expect(() => loadServeConfig(['--mqtt-tls-cert', 'c.pem'], {})).toThrow(/--mqtt-tls-key/);
    expect(() => loadServeConfig([], { TINYML_SERIAL_BAUD: '-1' })).toThrow(/baud rate/);
  });

  it('one block per option: two blocks declaring one flag fail at composition', () => {
    const a = defineConfigBlock({ name: 'a', title: 'A', options: { shared: { type: 'boolean', help: 'x' } }, parse: () => null });
    const b = defineConfigBlock({ name: 'b', title: 'B', options: { shared: { type: 'boolean', help: 'y' } }, parse: () => null });
    expect(() => mergedOptions([a, b])).toThrow(/"shared" is declared by the config blocks "a" and "b"/);
    expect(Object.keys(SERVE_OPTIONS)).toEqual(SERVE_CONFIG_BLOCKS.flatMap((block) => Object.keys(block.options)));
  });

  it('SERVICE_LAYERS brings each layer block into the serve config, under its name', () => {
    expect(SERVE_CONFIG_BLOCKS.map((block) => block.name)).toEqual(['core', 'store', 'serial', 'mqtt']);
    expect(SERVICE_LAYERS.map((layer) => layer.config?.name ?? null)).toEqual(['store', null, 'serial', 'mqtt']);
  });
});
