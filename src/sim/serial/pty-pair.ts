/** A pseudo-terminal pair made by socat: the simulator writes one end, a reader opens the other like a USB port. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** socat creates both links within a few ms; 5 s covers a loaded CI machine. */
export const PTY_READY_TIMEOUT_MS = 5_000;
const POLL_MS = 10;

export interface PtyPair {
  /** Where the simulator (the "device") writes. */
  devicePath: string;
  /** What a reader opens (the "USB port"). */
  readerPath: string;
  /** Tear the pair down (an unplug): socat exits and removes both links. */
  close(): Promise<void>;
}

export class SocatMissingError extends Error {
  constructor() {
    super('socat not found: install it (Debian: apt-get install -y socat) or pass --path to an existing port');
    this.name = 'SocatMissingError';
  }
}

/** Creates the pair with `link=` paths, so it can be recreated at the same paths (a replug). */
export async function createPtyPair(devicePath: string, readerPath: string): Promise<PtyPair> {
  // Detached: socat gets its own process group, so a Ctrl-C in the terminal (SIGINT to the foreground group) does not
  // pull the pty from under the simulator mid-write; close() stops socat once the simulator has let go of the port.
  const child = spawn('socat', [`pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${readerPath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  // A detached socat would outlive us if we exited without close(): stop it on any exit of this process.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + PTY_READY_TIMEOUT_MS;
  for (;;) {
    const failure = await Promise.race([spawnError, new Promise<null>((r) => setTimeout(() => r(null), POLL_MS))]);
    if (failure !== null) {
      process.removeListener('exit', killOnExit);
      throw (failure as NodeJS.ErrnoException).code === 'ENOENT' ? new SocatMissingError() : failure;
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`socat exited with ${child.exitCode}: ${stderr.trim()}`);
    if (existsSync(devicePath) && existsSync(readerPath)) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`socat did not create ${devicePath} and ${readerPath} in ${PTY_READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
    }
  }
  return { devicePath, readerPath, close: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** True when socat is on PATH (tests must fail, not skip, without it in CI). */
export function isSocatAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('socat', ['-V'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
