/** Real child processes of the CLI: `serve` (killable with SIGKILL) and `simulate fleet`. */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../../src/store/data-dir.js';
import { startCli } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The CLI in one process (a signal reaches the service itself), with the API token the tests use. */
function spawnCli(args: readonly string[]): ChildProcess {
  return startCli(args, { env: { TINYML_API_TOKEN: 'test-token' } }).child;
}

export interface ServeProcess {
  child: ChildProcess;
  httpUrl: string;
  output(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<string>;
  kill(signal: NodeJS.Signals): Promise<string>;
}

export async function startServe(dataDir: string, args: readonly string[]): Promise<ServeProcess> {
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', ...args]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  const match = await waitFor('serve to listen', () => /listening on (http:\/\/[^\s]+)/.exec(output) ?? (child.exitCode !== null ? 'exited' : null), {
    timeoutMs: 30_000,
  });
  if (match === 'exited') throw new Error(`serve exited: ${output}`);
  return {
    child,
    httpUrl: match[1]!,
    output: () => output,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface SimulatorProcess {
  child: ChildProcess;
  /** The JSON summary the simulator prints when every window is acked. */
  result: Promise<{ devices: number; published: number; acked: number; unacked: number; retried: number; reconnects: number; durationMs: number }>;
}

export function startSimulator(args: readonly string[]): SimulatorProcess {
  const child = spawnCli(['simulate', 'fleet', ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<SimulatorProcess['result'] extends Promise<infer R> ? R : never>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').pop()!));
      else reject(new Error(`simulator exited ${code}: ${stderr}${stdout}`));
    });
  });
  result.catch(() => undefined);
  return { child, result };
}

/** Rows in the service's database, read through a second connection (WAL allows it while the service writes). */
export function countStoredWindows(dataDir: string): number {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM energy_windows').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The stored windows count once the database exists (0 before). */
export function storedWindowsOrZero(dataDir: string): number {
  try {
    return countStoredWindows(dataDir);
  } catch {
    return 0;
  }
}
