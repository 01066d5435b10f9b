/**
 * Group commit for submissions: inserts that arrive while the event loop is busy are written in
 * one transaction, and each caller's promise resolves only after that transaction committed.
 * One fsync then covers a whole batch, which is what lets durable submits reach thousands/s.
 */
export class SubmitBatcher<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (error: Error) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly writeBatch: (items: T[]) => void | Promise<void>,
    private readonly afterCommit: () => void,
    private readonly maxBatch = 512,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after pending I/O callbacks, so requests already read join this batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      await this.writeBatch(batch.map((entry) => entry.item));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error as Error);
      // One bad row must not fail its neighbours: retry each alone and answer each on its own.
      else for (const entry of batch) await Promise.resolve().then(() => this.writeBatch([entry.item])).then(entry.resolve, entry.reject);
    }
    this.afterCommit();
  }
}
