/**
 * Group reads: the hot-path lookups (the key check and the job read behind every status poll)
 * that arrive in the same turn of the event loop run back to back inside one read transaction,
 * in a setImmediate callback, the way SubmitBatcher groups inserts.
 *
 * Why: in WAL mode each autocommit read takes and drops a read lock on the -shm file (two fcntl
 * calls) and walks cold pages; under load that made the two reads of a poll cost more than the
 * rest of the request put together. Sharing one snapshot per turn measured 128 → 85 µs of server
 * CPU per poll (docs/benchmarks.md).
 *
 * Freshness is unchanged or better: a read runs after it was asked for, never before, and the
 * transaction begins when the batch runs, so anything committed before then (a revoked key, a
 * cancel) is seen. Nothing but these synchronous reads runs inside the transaction: the callers'
 * promises settle after COMMIT, and writes (submits, claims) never share it.
 */
import type { Database, Statement } from 'better-sqlite3';

export class ReadBatcher {
  private pending: Array<() => void> = [];
  private scheduled = false;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;

  constructor(private readonly db: Database) {
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** Runs `query` (synchronous, read-only) with the other reads of this turn; resolves with its result. */
  read<T>(query: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push(() => {
        try {
          resolve(query());
        } catch (error) {
          reject(error as Error);
        }
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Runs every pending read now (also used before the database closes). */
  readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    // One read needs no explicit transaction; and never nest inside someone else's.
    if (batch.length === 1 || this.db.inTransaction || !this.db.open) {
      for (const run of batch) run();
      return;
    }
    try {
      this.begin.run();
    } catch {
      for (const run of batch) run();
      return;
    }
    try {
      for (const run of batch) run();
    } finally {
      try {
        this.commit.run();
      } catch {
        // A read-only transaction has nothing to lose; it must simply not stay open.
        if (this.db.inTransaction) this.rollback.run();
      }
    }
  };
}
