/**
 * Removes uploads (POST /v1/files, and data: URIs stored at submit) once they expire: the row
 * first, then its blob, so an expired upload can never be used again even if the process dies
 * between the two (an orphaned blob is the worst case, never a dangling row). Runs in every
 * serve/worker process; deletions are claimed by the DELETE itself, so several janitors agree.
 *
 * With MODELGATE_OUTPUT_RETENTION_HOURS it also deletes jobs that finished longer ago, exactly as
 * DELETE /v1/requests/{id} does (jobs/deletion.ts): files first, then the row's tombstone, so a
 * crash leaves a job without files for the next run to finish, never files nobody tracks.
 * Several janitors may pick the same job: blob deletes are idempotent and one tombstone wins.
 */
import type { Context } from '../context.ts';
import { deleteFinishedJob } from '../jobs/deletion.ts';

const BATCH = 100;
export const JANITOR_INTERVAL_MS = 10 * 60_000;
/** Rate-limit windows are a minute long; one that started two minutes ago is over everywhere. */
const RATE_WINDOW_KEEP_MS = 2 * 60_000;

export async function removeExpiredUploads(ctx: Pick<Context, 'store' | 'blobs'>, now: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const expired = await ctx.store.deleteExpiredFiles(now, BATCH);
    for (const file of expired) await ctx.blobs.delete(file.blobKey);
    removed += expired.length;
    if (expired.length < BATCH) return removed;
  }
}

/** Deletes jobs that finished at or before `now - retention`, a batch at a time; resolves with how many. */
export async function removeExpiredJobs(ctx: Pick<Context, 'store' | 'blobs' | 'uploads'>, retentionMs: number, now: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const expired = await ctx.store.listFinishedBefore(now - retentionMs, BATCH);
    let tombstoned = 0;
    for (const job of expired) if (await deleteFinishedJob(ctx, job, now)) tombstoned++;
    removed += tombstoned;
    // A full batch that another janitor deleted first is read again only if this one deleted some.
    if (expired.length < BATCH || tombstoned === 0) return removed;
  }
}

export function startJanitor(ctx: Pick<Context, 'store' | 'blobs' | 'log' | 'uploads' | 'config'>, intervalMs = JANITOR_INTERVAL_MS): () => void {
  const log = ctx.log.child({ component: 'janitor' });
  const run = () => {
    void removeExpiredUploads(ctx, Date.now()).then(
      (removed) => removed > 0 && log.info({ removed }, 'expired uploads removed'),
      (error: unknown) => log.error({ err: error }, 'removing expired uploads failed'),
    );
    const retentionMs = ctx.config.outputRetentionMs;
    if (retentionMs !== undefined) {
      void removeExpiredJobs(ctx, retentionMs, Date.now()).then(
        (removed) => removed > 0 && log.info({ removed }, 'jobs past their output retention deleted'),
        (error: unknown) => log.error({ err: error }, 'deleting jobs past their output retention failed'),
      );
    }
    // Shared rate-limit windows (PostgreSQL) that ended a window ago or more; none on SQLite.
    ctx.store.pruneRateWindows(Date.now() - RATE_WINDOW_KEEP_MS).catch((error: unknown) => log.error({ err: error }, 'pruning rate-limit windows failed'));
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
