/**
 * Returns jobs whose worker stopped renewing its lease to the queue (or fails them once their
 * retry budget is spent). Every process that runs workers or the API runs one; sweeps are fenced,
 * so several sweepers at once are harmless. Recovery bound: lease + sweep interval.
 */
import type { Context } from '../context.ts';
import { ThrottledLog } from '../throttled-log.ts';
import { Backoff, PAUSE_CAP_MS } from './backoff.ts';

export function startSweeper(ctx: Pick<Context, 'store' | 'config' | 'log' | 'metrics'>): () => void {
  const log = ctx.log.child({ component: 'sweeper' });
  const faults = new ThrottledLog(log);
  // While the store fails, sweeps are skipped for a growing back-off instead of failing every
  // interval; the first sweep that works ends it.
  const backoff = new Backoff(ctx.config.faultBackoffMs, PAUSE_CAP_MS);
  let running = false;
  const sweep = async () => {
    if (running || backoff.remaining(Date.now()) > 0) return;
    running = true;
    try {
      const { requeued, failed } = await ctx.store.sweepExpiredLeases(Date.now());
      if (backoff.failing) log.info('sweeps work again');
      backoff.succeed();
      faults.reset('sweep');
      ctx.metrics.attemptsLost.inc({ outcome: 'requeued' }, requeued.length);
      ctx.metrics.attemptsLost.inc({ outcome: 'failed' }, failed.length);
      if (requeued.length > 0) log.warn({ requeued }, 'leases expired; jobs returned to the queue');
      if (failed.length > 0) log.error({ failed }, 'leases expired and retry budget spent; jobs failed');
    } catch (error) {
      const waitMs = backoff.fault(Date.now());
      faults.write('error', 'sweep', { err: error, retry_in_ms: waitMs }, 'sweep failed; sweeps pause while the store fails');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), ctx.config.sweepIntervalMs);
  timer.unref();
  void sweep();
  return () => clearInterval(timer);
}
