import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** The `influxd` binary: Debian's `influxdb` package (1.6.7) installs it on PATH; INFLUXD overrides. */
const INFLUXD_BIN = process.env.INFLUXD ?? 'influxd';
/** influxd 1.6 opens its HTTP port after loading the (empty) meta and data stores: well under a second when idle. */
const INFLUXD_START_TIMEOUT_MS = 30_000;
/** It flushes its WAL and closes shards on SIGTERM; longer than that is a hang, and it is then killed. */
const INFLUXD_STOP_TIMEOUT_MS = 10_000;

export interface TestInfluxd {
  /** `http://127.0.0.1:<port>`: the v1 HTTP API (`/ping`, `/write`, `/query`). */
  url: string;
  port: number;
  dataDir: string;
  /** Runs one InfluxQL statement (GET /query for SELECT/SHOW, POST otherwise) and returns its parsed JSON body. */
  query(q: string, db?: string): Promise<InfluxQueryResponse>;
  /** Writes line protocol (precision ms) to a database; throws on any answer but 204. */
  write(db: string, lines: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxQueryResponse {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
  error?: string;
}

/**
 * A real `influxd` of its own: a config file, meta/data/wal directories in a fresh temp dir, the HTTP API on a free
 * loopback port, the RPC (backup) port on another, usage reporting and the `_internal` monitor store off. Fails loudly
 * (never skips) when influxd is missing or does not answer /ping.
 */
export async function startInfluxd(): Promise<TestInfluxd> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const configPath = path.join(dataDir, 'influxdb.conf');
  writeFileSync(configPath, influxdConfig(dataDir, httpPort, rpcPort));
  const child = spawn(INFLUXD_BIN, ['-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  let exited: string | undefined;
  child.once('error', (error) => (exited = `could not start ${INFLUXD_BIN}: ${error.message} (install Debian's influxdb package)`));
  child.once('exit', (code, signal) => (exited ??= `influxd exited (code ${code}, signal ${signal}): ${stderr}`));
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await waitFor(
      `influxd to answer ${url}/ping`,
      async () => {
        if (exited !== undefined) throw new Error(exited);
        try {
          return (await fetch(`${url}/ping`)).status === 204;
        } catch {
          return false;
        }
      },
      { timeoutMs: INFLUXD_START_TIMEOUT_MS },
    );
  } catch (error) {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port: httpPort,
    dataDir,
    query: (q, db) => influxQuery(url, q, db),
    write: (db, lines) => influxWrite(url, db, lines),
    stop: async () => {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function influxdConfig(dir: string, httpPort: number, rpcPort: number): string {
  return [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${path.join(dir, 'meta')}"`,
    '  logging-enabled = false',
    '[data]',
    `  dir = "${path.join(dir, 'data')}"`,
    `  wal-dir = "${path.join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${httpPort}"`,
    '  log-enabled = false',
    '[logging]',
    '  level = "warn"',
    '',
  ].join('\n');
}

async function influxQuery(url: string, q: string, db?: string): Promise<InfluxQueryResponse> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db !== undefined) params.set('db', db);
  const isRead = /^\s*(SELECT|SHOW)\b/i.test(q);
  const response = isRead
    ? await fetch(`${url}/query?${params.toString()}`)
    : await fetch(`${url}/query`, { method: 'POST', body: params, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const body = (await response.json()) as InfluxQueryResponse;
  if (!response.ok) throw new Error(`influxd answered ${response.status} to ${q}: ${JSON.stringify(body)}`);
  return body;
}

async function influxWrite(url: string, db: string, lines: readonly string[]): Promise<void> {
  const params = new URLSearchParams({ db, precision: 'ms' });
  const response = await fetch(`${url}/write?${params.toString()}`, { method: 'POST', body: lines.join('\n') });
  if (response.status !== 204) throw new Error(`influxd answered ${response.status} to a write of ${lines.length} lines: ${await response.text()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), INFLUXD_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
