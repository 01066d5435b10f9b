/**
 * Group commit for the worker's writes: calls that arrive in one event-loop turn go to the
 * database as one statement (one round trip, one transaction, one WAL flush), and each caller is
 * answered with its own result, read from what that statement returned for its item.
 *
 * The worker's slots fall into step on their own: a batch of claims answers several slots in one
 * turn, their no-wait attempts reach the settle in one turn, and the settle batch answers them in
 * one turn again. So N slots cost about two statements per N jobs instead of two per job.
 *
 * A failed batch is split only when the database says for certain that nothing of it was written
 * (`nothingWritten`: e.g. one bad row rejected the statement); each item is then written alone,
 * so a bad row does not fail its neighbours. Otherwise (a dropped connection: the statement may
 * have committed) every caller gets the error, as each would have on its own.
 */
export interface TurnBatcherOptions {
  /** True when `error` proves the batch's statement changed nothing. */
  nothingWritten(error: unknown): boolean;
  /** Items per statement at most; more in one turn go in further statements. */
  maxBatch?: number;
  /**
   * Statements in flight at most. Items that arrive while the limit is reached wait for the
   * next answer and go together in the statement after it, so under load one round trip's worth
   * of callers share a statement, not just one turn's (and an idle batcher adds no delay).
   */
  maxInFlight?: number;
}

interface Pending<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class TurnBatcher<I, R> {
  private pending: Pending<I, R>[] = [];
  private scheduled = false;
  /** Batches being written, so flush() can wait for every one of them. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    /** Writes the items in one statement; returns one result per item, in the items' order. */
    private readonly writeBatch: (items: I[]) => Promise<R[]>,
    private readonly options: TurnBatcherOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.writePending();
      else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the turn's promise callbacks and pending I/O callbacks, so every
        // slot answered by the same database reply joins this batch.
        setImmediate(() => this.writePending());
      }
    });
  }

  /** Writes what is pending and waits until every batch in flight has been answered. */
  async flush(): Promise<void> {
    this.writePending();
    while (this.inFlight.size > 0 || this.pending.length > 0) {
      await Promise.all(this.inFlight);
      this.writePending();
    }
  }

  private writePending(): void {
    this.scheduled = false;
    while (this.pending.length > 0 && this.inFlight.size < this.maxInFlight) {
      const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
      this.pending = batch === this.pending ? [] : this.pending.slice(this.maxBatch);
      const written = this.write(batch).finally(() => {
        this.inFlight.delete(written);
        // What waited for this answer goes now, in as few statements as the limits allow.
        if (!this.scheduled) this.writePending();
      });
      this.inFlight.add(written);
    }
  }

  private async write(batch: Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.writeBatch(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1 || !this.options.nothingWritten(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      for (const entry of batch) {
        await this.writeBatch([entry.item]).then((results) => entry.resolve(results[0]!), entry.reject);
      }
    }
  }
}
