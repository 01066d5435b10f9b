/**
 * In-process workers: `concurrency` slots that each claim a job, run it, and claim the next.
 * Idle slots sleep until the store says a job may be available (same-process submits wake them
 * at once) or the poll interval passes (for submits made by other processes).
 *
 * A wake-up rouses one idle slot, not all of them, and a slot whose claim found a job passes the
 * wake-up on to the next sleeper, since more may be queued: a batch of jobs fans out to every
 * slot within a few claims, while a single submit costs about two claims per process instead of
 * one per idle slot.
 *
 * While storage fails (a claim throws, or an attempt hits a full disk), every slot of the pool
 * stops claiming for a back-off that doubles with each fault in a row, and before it claims again
 * checks that the data folder takes a write: a job is only claimed when it has a chance to run,
 * so a full disk does not spend queued jobs' retry budgets.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../context.ts';
import { ThrottledLog } from '../throttled-log.ts';
import type { ClaimLimits } from '../store/store.ts';
import { AttemptMetrics } from './attempt-metrics.ts';
import { runAttempt } from './run-attempt.ts';
import { StoragePause } from './storage-pause.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';

/** What the storage check writes: room for an attempt's scratch files, roughly. */
const PROBE_BYTES = 1024 * 1024;

/**
 * With wake-ups that cross processes (PostgreSQL's NOTIFY), every submit, requeue and release
 * wakes idle slots, so polling is only a safety net (a job whose retry back-off ran out sends no
 * notification): idle slots look this many poll intervals apart instead of every one.
 */
const NOTIFIED_POLL_FACTOR = 5;

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
  /** Sleeping slots' wake functions, oldest first. */
  private readonly wakeups = new Set<() => void>();
  /** Counts wake-ups, so a slot can tell that one arrived while its claim was in flight. */
  private wakeGeneration = 0;
  private unsubscribe: (() => void) | undefined;
  private readonly storage: StoragePause;
  private readonly faults: ThrottledLog;
  /** How long an idle slot sleeps when nothing wakes it. */
  private readonly idlePollMs: number;
  private readonly limits: ClaimLimits;
  private readonly webhooks: WebhookDispatcher;

  constructor(
    private readonly ctx: Context,
    private readonly options: WorkerPoolOptions,
  ) {
    this.faults = new ThrottledLog(ctx.log.child({ component: 'worker', worker: this.id }));
    this.webhooks = new WebhookDispatcher(ctx);
    this.storage = new StoragePause(this.faults, ctx.log, ctx.config.faultBackoffMs, 'storage works again; claiming resumed');
    this.limits = { maxRunningPerKey: ctx.config.maxRunningPerKey };
    this.idlePollMs = ctx.config.pollIntervalMs * (ctx.store.capabilities.crossProcessWakeups ? NOTIFIED_POLL_FACTOR : 1);
  }

  start(): void {
    // Webhook deliveries go out wherever workers run; they stop after the jobs (stop()).
    this.webhooks.start();
    this.unsubscribe = this.ctx.store.onJobAvailable(() => this.wakeOne());
    for (let slot = 0; slot < this.options.concurrency; slot++) this.slots.push(this.runSlot(`${this.id}/${slot}`));
  }

  private wakeOne(): void {
    this.wakeGeneration++;
    const [first] = this.wakeups;
    first?.();
  }

  private wakeAll(): void {
    for (const wake of [...this.wakeups]) wake();
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
    const { store, config } = this.ctx;
    while (!this.stopping) {
      if (this.storage.failing) {
        const wait = this.storage.remaining(Date.now());
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        if (!(await this.storageTakesWrites())) continue;
      }
      const generation = this.wakeGeneration;
      let job;
      try {
        job = await store.claimNext(workerId, config.leaseMs, Date.now(), this.limits);
      } catch (error) {
        this.storage.fault('claim', { err: error }, 'claim failed; claims pause while the store fails');
        continue;
      }
      if (!job) {
        this.storage.recovered({ worker: this.id });
        // A wake-up that came while this claim was in flight may be for a job its snapshot
        // could not see yet, and it may have found no sleeper to wake: look once more.
        if (this.wakeGeneration === generation) await this.sleep(this.idlePollMs);
        continue;
      }
      // The relay: more jobs may be queued behind this one, so the next sleeper looks too.
      this.wakeOne();
      const attemptMetrics = new AttemptMetrics(this.ctx, job);
      try {
        const outcome = await runAttempt(this.ctx, job, this.shutdown.signal, this.faults);
        attemptMetrics.settled(outcome);
        // runAttempt has logged the fault itself.
        if (outcome.storageFault) this.storage.extend();
        else this.storage.recovered({ worker: this.id });
      } catch (error) {
        // runAttempt settles its own failures; reaching here means the store could not be
        // written. The lease will run out and the sweeper will give the job to another attempt.
        this.storage.fault('settle', { err: error, request_id: job.id }, 'attempt could not be settled; claims pause while the store fails');
      }
    }
  }

  /** Writes and removes a probe file in the work folder; a fault extends the back-off. */
  private async storageTakesWrites(): Promise<boolean> {
    const folder = join(this.ctx.config.dataDir, 'work');
    const probe = join(folder, `.probe-${process.pid}-${randomUUID().slice(0, 8)}`);
    try {
      await mkdir(folder, { recursive: true });
      await writeFile(probe, Buffer.alloc(PROBE_BYTES));
      return true;
    } catch (error) {
      this.storage.fault('probe', { err: error }, 'the data folder still refuses writes');
      return false;
    } finally {
      await rm(probe, { force: true }).catch(() => {});
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
    await this.webhooks.stop();
  }
}
