/**
 * Durability of committed transactions without blocking the event loop: the store runs SQLite with
 * `synchronous = NORMAL` (a commit writes its WAL frames, commit frame included, but does not fsync them), and every
 * write the store acknowledges waits for an `fdatasync` of the WAL file that *started after its commit*, run on the
 * libuv thread pool. Once that returns, every frame written before it is on disk: the same guarantee as
 * `synchronous = FULL`, which fdatasyncs the WAL inside each commit, on the event loop (README § Durability).
 *
 * Group sync: one fdatasync runs at a time; the commits made while it runs share the next one (a sync that started
 * before a commit cannot cover it). After a failed fdatasync nothing is known about what reached the disk (a later
 * fsync may succeed after the kernel dropped the dirty pages), so the failure is kept: every later sync rejects with
 * it, and the store refuses writes until it is reopened.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The WAL's fdatasync: resolves once every byte written to the file before the call is on disk. */
export type SyncFile = () => Promise<void>;

type Waiter = (error: Error | null) => void;

export class WalSyncFailedError extends Error {
  readonly code = 'wal_sync_failed' as const;
  constructor(cause: unknown) {
    super(`fdatasync of the SQLite WAL failed, committed windows may not be durable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'WalSyncFailedError';
  }
}

export class WalSync {
  /** Commits waiting for the next fdatasync (made after the running one started, or while none ran). */
  private waiting: Waiter[] = [];
  private running = false;
  private failed: WalSyncFailedError | null = null;

  constructor(private readonly syncFile: SyncFile) {}

  /** The first failure, once an fdatasync failed: nothing written since is known to be durable. */
  get failure(): WalSyncFailedError | null {
    return this.failed;
  }

  /** Resolves once an fdatasync that started after this call returned; rejects (WalSyncFailedError) if one failed. */
  sync(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push((error) => (error === null ? resolve() : reject(error)));
      if (!this.running) this.start();
    });
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.running = true;
    let synced: Promise<void>;
    try {
      synced = this.syncFile();
    } catch (error) {
      synced = Promise.reject(error);
    }
    synced.then(
      () => this.settle(batch, null),
      (error: unknown) => {
        this.failed ??= new WalSyncFailedError(error);
        this.settle(batch, this.failed);
      },
    );
  }

  private settle(batch: readonly Waiter[], error: Error | null): void {
    this.running = false;
    for (const waiter of batch) waiter(error);
    if (this.waiting.length === 0) return;
    if (this.failed === null) {
      this.start();
    } else {
      const rest = this.waiting;
      this.waiting = [];
      for (const waiter of rest) waiter(this.failed);
    }
  }
}

/**
 * An fdatasync of `<database>-wal` on the thread pool, through a descriptor opened once (read-only: fsync needs no
 * write access). The WAL file keeps its inode while the store's connection is open (SQLite truncates or rewrites it
 * from the start, and deletes it only when the last connection closes), so the descriptor stays valid. Its directory
 * entry is made durable once here, as SQLite does (a directory fsync) the first time it syncs a WAL it created.
 */
export function openWalSyncFile(databaseFile: string): { syncFile: SyncFile; close: () => void } {
  const walFile = `${path.resolve(databaseFile)}-wal`;
  const fd = fs.openSync(walFile, fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o644);
  try {
    const dir = fs.openSync(path.dirname(walFile), fs.constants.O_RDONLY);
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return {
    syncFile: () => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error === null ? resolve() : reject(error)))),
    close: () => fs.closeSync(fd),
  };
}
