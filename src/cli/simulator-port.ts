import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPtyPair } from '../sim/serial/pty-pair.js';

/** Where a `simulate` command writes: the port the user gave, or a pty pair it made (released by close()). */
export interface SimulatorPort {
  /** The side the simulator writes to. */
  path: string;
  /** Closes the pty pair and removes its temporary directory (nothing for a given path). */
  close(): Promise<void>;
}

export interface PtyNames {
  /** Prefix of the temporary directory, e.g. `tinyml-ppk2-`. */
  dirPrefix: string;
  /** The simulator's side and the reader's side, e.g. `kit` and `ttyPPK2` (the reader's is what users see). */
  device: string;
  reader: string;
}

/**
 * `--path` when given; else a socat pty pair in a fresh temporary directory, whose reader side is printed on stdout
 * as `open this port: <path>` (the line scripts and tests wait for). A pair that cannot be made leaves nothing behind.
 */
export async function openSimulatorPort(givenPath: string | undefined, names: PtyNames): Promise<SimulatorPort> {
  if (givenPath !== undefined) return { path: givenPath, close: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), names.dirPrefix));
  try {
    const pair = await createPtyPair(join(dir, names.device), join(dir, names.reader));
    process.stdout.write(`open this port: ${pair.readerPath}\n`);
    return {
      path: pair.devicePath,
      close: async () => {
        await pair.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
