/** A named pipe the test reads itself, without blocking: for tests of a writer on a pipe whose reader falls behind. */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Bytes read from a pipe at a time: a Linux pipe's whole kernel buffer, so one read usually empties it. */
export const FIFO_READ_CHUNK_BYTES = 64 * 1024;

export interface Fifo {
  /** The FIFO's path, for the writer to open. */
  path: string;
  /** The test's end, opened for reading without blocking. */
  reader: number;
  /** Closes the reader and removes the FIFO's directory. */
  close(): void;
}

/**
 * Makes a FIFO in a fresh temp directory and opens it for reading without blocking. Opened before any writer, so a
 * writer's blocking open for writing returns at once.
 */
export function openFifo(prefix: string): Fifo {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const fifo = path.join(dir, 'log');
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  return {
    path: fifo,
    reader,
    close: () => {
      closeSync(reader);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ReadAvailable {
  /** Every byte the pipe held (a copy, not a view of `chunk`). */
  bytes: Buffer;
  /** True once read() gave 0: the last writer has closed its end (a FIFO no writer has opened yet reads 0 too). */
  eof: boolean;
}

/** Reads what a non-blocking fd holds now, until it would block (EAGAIN) or reaches its end; `chunk` is the read buffer. */
export function readAvailable(fd: number, chunk: Buffer = Buffer.alloc(FIFO_READ_CHUNK_BYTES)): ReadAvailable {
  const parts: Buffer[] = [];
  for (;;) {
    let read: number;
    try {
      read = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return { bytes: Buffer.concat(parts), eof: false };
      throw error;
    }
    if (read === 0) return { bytes: Buffer.concat(parts), eof: true };
    parts.push(Buffer.from(chunk.subarray(0, read)));
  }
}
