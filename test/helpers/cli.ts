/**
 * The one way tests start the CLI as a child process.
 *
 * By default node itself runs the TypeScript entry through tsx (`node --import tsx src/cli/main.ts`): ONE process, so
 * a signal reaches the CLI, not a wrapper. `entry: 'bin'` runs `bin/tinyml-footprint.js`, the command a user types.
 * The working directory is the repository root.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = path.join(REPO_ROOT, 'bin/tinyml-footprint.js');
const MAIN_PATH = path.join(REPO_ROOT, 'src/cli/main.ts');

export interface CliOptions {
  /** Added to the test's own environment. */
  env?: NodeJS.ProcessEnv;
  /** 'source' (default): src/cli/main.ts through tsx, in one process; 'bin': bin/tinyml-footprint.js. */
  entry?: 'source' | 'bin';
  /** Leads a new process group, like a foreground job whose group a Ctrl-C signals (see signalGroup). */
  detached?: boolean;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves when the process exits (its output may still be draining: see runCli for output read to the end). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function nodeArgs(args: readonly string[], entry: CliOptions['entry']): string[] {
  return entry === 'bin' ? [CLI_PATH, ...args] : ['--import', 'tsx', MAIN_PATH, ...args];
}

/** Starts the CLI and collects what it prints. */
export function startCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const child = spawn(process.execPath, nodeArgs(args, options.entry), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** Runs the CLI to completion: resolves once it has exited and its output is read to the end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const run = startCli(args, options);
  return new Promise((resolve, reject) => {
    run.child.once('error', reject);
    run.child.once('close', (code, signal) => resolve({ code, signal, stdout: run.out(), stderr: run.err() }));
  });
}

/** Runs the CLI to completion synchronously; killed (SIGTERM) after `timeoutMs`. */
export function runCliSync(args: readonly string[], timeoutMs: number, options: Omit<CliOptions, 'detached'> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, nodeArgs(args, options.entry), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** A Ctrl-C in a terminal: the signal goes to every process of the foreground group (start it with `detached`). */
export function signalGroup(run: CliRun, signal: NodeJS.Signals): void {
  try {
    process.kill(-run.child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Kills what a failed test left running (the whole group, so no socat survives). */
export async function killGroup(run: CliRun | null): Promise<void> {
  if (run === null || run.child.exitCode !== null || run.child.signalCode !== null) return;
  signalGroup(run, 'SIGKILL');
  await run.exited;
}
