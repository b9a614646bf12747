/**
 * The local store as an outbox (issue 12): every committed window carries its commit number (1, 2, 3, … in commit
 * order), and a writer copying windows to another WindowStore keeps its cursor, the last commit number it wrote, in
 * the same database. Implemented by SqliteStore; read by store/outbox/outbox-writer.ts.
 */
import type { StoredWindow } from './window-store.js';

export interface OutboxEntry {
  commitSeq: number;
  /** When it was committed locally (Unix ms, this instance's clock): the writer's lag is measured from it. */
  receivedMs: number;
  window: StoredWindow;
}

/** A window a target refused for good (e.g. InfluxDB: older than the retention policy), kept so its writer goes on. */
export interface DeadLetter {
  commitSeq: number;
  /** One of OUTBOX_REFUSAL_REASONS (store/outbox/refusals.ts). */
  reason: string;
  /** What the target said. */
  detail: string;
  refusedMs: number;
}

export interface WindowOutbox {
  /** Committed windows with a commit number above `afterCommitSeq`, in commit order, at most `limit`. */
  readOutbox(afterCommitSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** The commit number of the last committed window; 0 when none. */
  outboxHead(): Promise<number>;
  /** The cursor of `target`: the last commit number written there; 0 for a target never written. */
  outboxCursor(target: string): Promise<number>;
  /** Persist the cursor of `target` (durably: it survives a crash; a cursor never moves back). */
  setOutboxCursor(target: string, commitSeq: number): Promise<void>;
  /**
   * Record windows `target` refused for good (a window recorded again keeps its first record); resolves to the commit
   * numbers not recorded before (a batch re-sent after a crash refuses the same windows again: not counted twice).
   */
  addDeadLetters(target: string, letters: readonly DeadLetter[]): Promise<Set<number>>;
  /** The dead letters of `target`, newest first, at most `limit`, each with its window; and how many there are in all. */
  listDeadLetters(target: string, limit: number): Promise<{ total: number; letters: (DeadLetter & { window: StoredWindow })[] }>;
  /**
   * Optional: call `listener` with what each transaction of this process committed (in commit order, right after the
   * commit), so that a writer can take them without reading them back. Commits by another process on the same file
   * are not seen: a writer notices the gap in the commit numbers and reads the outbox. Returns the unsubscribe.
   */
  onCommitted?(listener: (entries: readonly OutboxEntry[]) => void): () => void;
}

export function isWindowOutbox(value: object): value is WindowOutbox {
  const candidate = value as Partial<WindowOutbox>;
  return typeof candidate.readOutbox === 'function' && typeof candidate.outboxHead === 'function' && typeof candidate.setOutboxCursor === 'function';
}
