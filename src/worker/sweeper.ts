/**
 * Returns jobs whose worker stopped renewing its lease to the queue (or fails them once their
 * retry budget is spent). Every process that runs workers or the API runs one; sweeps are fenced,
 * so several sweepers at once are harmless. Recovery bound: lease + sweep interval.
 */
import type { Context } from '../context.ts';

export function startSweeper(ctx: Pick<Context, 'store' | 'config' | 'log'>): () => void {
  const log = ctx.log.child({ component: 'sweeper' });
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const { requeued, failed } = await ctx.store.sweepExpiredLeases(Date.now());
      if (requeued.length > 0) log.warn({ requeued }, 'leases expired; jobs returned to the queue');
      if (failed.length > 0) log.error({ failed }, 'leases expired and retry budget spent; jobs failed');
    } catch (error) {
      log.error({ err: error }, 'sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), ctx.config.sweepIntervalMs);
  timer.unref();
  void sweep();
  return () => clearInterval(timer);
}
