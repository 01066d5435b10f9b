/**
 * Removes uploads (POST /v1/files, and data: URIs stored at submit) once they expire: the row
 * first, then its blob, so an expired upload can never be used again even if the process dies
 * between the two (an orphaned blob is the worst case, never a dangling row). Runs in every
 * serve/worker process; deletions are claimed by the DELETE itself, so several janitors agree.
 */
import type { Context } from '../context.ts';

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

export function startJanitor(ctx: Pick<Context, 'store' | 'blobs' | 'log'>, intervalMs = JANITOR_INTERVAL_MS): () => void {
  const log = ctx.log.child({ component: 'janitor' });
  const run = () => {
    void removeExpiredUploads(ctx, Date.now()).then(
      (removed) => removed > 0 && log.info({ removed }, 'expired uploads removed'),
      (error: unknown) => log.error({ err: error }, 'removing expired uploads failed'),
    );
    // Shared rate-limit windows (PostgreSQL) that ended a window ago or more; none on SQLite.
    ctx.store.pruneRateWindows(Date.now() - RATE_WINDOW_KEEP_MS).catch((error: unknown) => log.error({ err: error }, 'pruning rate-limit windows failed'));
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
