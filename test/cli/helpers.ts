/** Runs the CLI as a terminal does: node itself, in its own process group, so a signal can go to the whole group. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export const ROOT = new URL('../../', import.meta.url);
export const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

export interface CliRun {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** detached: the child leads a new process group, like a foreground job whose group a Ctrl-C signals. */
export function startCli(args: readonly string[]): CliRun {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** A Ctrl-C in a terminal: the signal goes to every process of the foreground group. */
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
