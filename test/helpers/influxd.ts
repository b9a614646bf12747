/**
 * A real InfluxDB 1.x (`influxd`, Debian's `influxdb` package) for tests, from a generated config: its own meta, data
 * and WAL directories in a temp directory, HTTP and RPC on free loopback ports, usage reporting and the internal
 * monitor off. A missing influxd binary FAILS the test (CI installs it: scripts/test.sh); these tests never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** How long influxd may take to answer /ping after start on a busy 2-core machine (ms): it opens its shards first. */
export const INFLUXD_START_TIMEOUT_MS = 60_000;

export interface TestInfluxd {
  port: number;
  url: string;
  dir: string;
  /** Graceful stop (SIGTERM): influxd flushes its WAL. Resolves once the process exited. */
  stop(): Promise<void>;
  /** Start again on the same port and directories (after stop). */
  start(): Promise<void>;
  /** Started and not exited (a test that stopped it restores it in its `finally`, so a failure does not cascade). */
  isRunning(): boolean;
  /** Stop and remove the directories. */
  close(): Promise<void>;
}

export function influxdBinary(): string {
  const candidates = [process.env.INFLUXD_BIN, '/usr/bin/influxd', '/usr/local/bin/influxd', 'influxd'].filter(
    (candidate): candidate is string => candidate !== undefined && candidate.length > 0,
  );
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['version'], { stdio: 'ignore' });
    if (probe.error === undefined && probe.status === 0) return candidate;
  }
  throw new Error('influxd is not installed: apt-get install -y influxdb (these tests need a real InfluxDB and must not be skipped)');
}

async function pingOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`);
    return response.status === 204;
  } catch {
    return false;
  }
}

export async function startInfluxd(): Promise<TestInfluxd> {
  const binary = influxdBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-influxd-'));
  const port = await freePort();
  const rpcPort = await freePort();
  const config = path.join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-enabled = false',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '  logging-enabled = false',
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      '  enabled = true',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[ifql]',
      '  enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let stderr = '';
  const server: TestInfluxd = {
    port,
    url,
    dir,
    async start() {
      const started = spawn(binary, ['-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      started.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      child = started;
      let exitedEarly: Error | null = null;
      started.once('exit', (code) => (exitedEarly = new Error(`influxd exited (${code}): ${stderr}`)));
      await waitFor(
        `influxd on port ${port} to answer /ping`,
        async () => {
          if (exitedEarly !== null) throw exitedEarly;
          return pingOk(url);
        },
        { timeoutMs: INFLUXD_START_TIMEOUT_MS, intervalMs: 100 },
      );
    },
    isRunning() {
      return child !== null && child.exitCode === null;
    },
    async stop() {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
