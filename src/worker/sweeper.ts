/**
 * Returns jobs whose worker stopped renewing its lease to the queue (or fails them once their
 * retry budget is spent). Every process that runs workers or the API runs one; sweeps are fenced,
 * so several sweepers at once are harmless. Recovery bound: lease + sweep interval.
 */
import type { Context } from '../context.ts';
import { ThrottledLog } from '../throttled-log.ts';
import { StoragePause } from './storage-pause.ts';

export function startSweeper(ctx: Pick<Context, 'store' | 'config' | 'log' | 'metrics'>): () => void {
  const log = ctx.log.child({ component: 'sweeper' });
  // While the store fails, sweeps are skipped for a growing back-off instead of failing every
  // interval; the first sweep that works ends it.
  const pause = new StoragePause(new ThrottledLog(log), log, ctx.config.faultBackoffMs, 'sweeps work again');
  let running = false;
  const sweep = async () => {
    if (running || pause.remaining(Date.now()) > 0) return;
    running = true;
    try {
      const { requeued, failed } = await ctx.store.sweepExpiredLeases(Date.now());
      pause.recovered();
      ctx.metrics.attemptsLost.inc({ outcome: 'requeued' }, requeued.length);
      ctx.metrics.attemptsLost.inc({ outcome: 'failed' }, failed.length);
      if (requeued.length > 0) log.warn({ requeued }, 'leases expired; jobs returned to the queue');
      if (failed.length > 0) log.error({ failed }, 'leases expired and retry budget spent; jobs failed');
    } catch (error) {
      pause.fault('sweep', { err: error }, 'sweep failed; sweeps pause while the store fails');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), ctx.config.sweepIntervalMs);
  timer.unref();
  void sweep();
  return () => clearInterval(timer);
}
