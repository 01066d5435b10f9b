/**
 * Group commit for submissions: inserts that arrive while the event loop is busy are written in
 * one transaction, and each caller's promise resolves only after that transaction committed.
 * One fsync then covers a whole batch, which is what lets durable submits reach thousands/s.
 */
export class SubmitBatcher<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (error: Error) => void }> = [];
  private scheduled = false;
  /** Batches being written, so close() can wait for every one of them, not just the next. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly writeBatch: (items: T[]) => void | Promise<void>,
    private readonly afterCommit: () => void,
    private readonly maxBatch = 512,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.flushPending();
      else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after pending I/O callbacks, so requests already read join this batch.
        setImmediate(() => void this.flushPending());
      }
    });
  }

  /** Writes what is pending and waits until every batch in flight has settled. */
  async flush(): Promise<void> {
    void this.flushPending();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private flushPending(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return Promise.resolve();
    this.pending = [];
    const written = this.write(batch).finally(() => this.inFlight.delete(written));
    this.inFlight.add(written);
    return written;
  }

  private async write(batch: typeof this.pending): Promise<void> {
    let committed = 0;
    try {
      await this.writeBatch(batch.map((entry) => entry.item));
      committed = batch.length;
      for (const entry of batch) entry.resolve();
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error as Error);
      // One bad row must not fail its neighbours: retry each alone and answer each on its own.
      else {
        for (const entry of batch) {
          await Promise.resolve()
            .then(() => this.writeBatch([entry.item]))
            .then(() => {
              committed += 1;
              entry.resolve();
            }, entry.reject);
        }
      }
    }
    // Wake workers only when something is there to claim.
    if (committed > 0) this.afterCommit();
  }
}
