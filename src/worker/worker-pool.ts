/**
 * In-process workers: `concurrency` slots that each claim a job, run it, and claim the next.
 * Idle slots sleep until the store says a job may be available (same-process submits wake them
 * at once) or the poll interval passes (for submits made by other processes).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Context } from '../context.ts';
import { runAttempt } from './run-attempt.ts';

export interface WorkerPoolOptions {
  concurrency: number;
  /** How long stop() lets running jobs finish before aborting and releasing them. */
  shutdownGraceMs?: number;
}

export class WorkerPool {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly shutdown = new AbortController();
  private readonly slots: Promise<void>[] = [];
  private stopping = false;
  private wakeups = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly options: WorkerPoolOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.ctx.store.onJobAvailable(() => this.wakeAll());
    for (let slot = 0; slot < this.options.concurrency; slot++) this.slots.push(this.runSlot(`${this.id}/${slot}`));
  }

  private wakeAll(): void {
    const sleepers = this.wakeups;
    this.wakeups = new Set();
    for (const wake of sleepers) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.add(done);
    });
  }

  private async runSlot(workerId: string): Promise<void> {
    const { store, config, log } = this.ctx;
    while (!this.stopping) {
      let job;
      try {
        job = await store.claimNext(workerId, config.leaseMs, Date.now());
      } catch (error) {
        log.error({ err: error, worker: workerId }, 'claim failed; retrying after the poll interval');
        await this.sleep(config.pollIntervalMs);
        continue;
      }
      if (!job) {
        await this.sleep(config.pollIntervalMs);
        continue;
      }
      try {
        await runAttempt(this.ctx, job, this.shutdown.signal);
      } catch (error) {
        // runAttempt settles its own failures; reaching here means the store itself failed.
        // The lease will run out and the sweeper will give the job to another attempt.
        log.error({ err: error, request_id: job.id }, 'attempt could not be settled');
      }
    }
  }

  /**
   * Stops claiming, gives running attempts `shutdownGraceMs` to finish, then aborts them; an
   * aborted attempt is released to the queue without spending its retry budget.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.wakeAll();
    const all = Promise.all(this.slots);
    const grace = this.options.shutdownGraceMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace_over'>((resolve) => (timer = setTimeout(() => resolve('grace_over'), grace)));
    if ((await Promise.race([all, graceOver])) === 'grace_over') {
      this.ctx.log.warn('shutdown grace period over; releasing running jobs back to the queue');
      this.shutdown.abort();
      await all;
    }
    clearTimeout(timer);
  }
}
