/**
 * The worker pool reads StoreCapabilities.crossProcessWakeups: without them (SQLite) idle slots
 * poll every MODELGATE_POLL_INTERVAL_MS for other processes' submits; with them (PostgreSQL's
 * NOTIFY) polling is only a safety net, five intervals apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { createHarness } from '../support/harness.ts';

async function idleClaims(crossProcessWakeups: boolean): Promise<number> {
  const h = await createHarness({ env: { MODELGATE_POLL_INTERVAL_MS: '40' } });
  let claims = 0;
  const real = h.ctx.store;
  const counting: Store = Object.assign(Object.create(real) as Store, {
    capabilities: { crossProcessWakeups },
    claimNext: (...args: Parameters<Store['claimNext']>) => {
      claims += 1;
      return real.claimNext(...args);
    },
  });
  const pool = new WorkerPool({ ...h.ctx, store: counting }, { concurrency: 1, shutdownGraceMs: 10 });
  try {
    pool.start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    await pool.stop();
    await h.close();
  }
  return claims;
}

test('idle slots poll every interval without cross-process wake-ups, five intervals apart with them', async (t) => {
  const [polling, notified] = [await idleClaims(false), await idleClaims(true)];
  t.diagnostic(`claims in 1 s at a 40 ms poll interval: ${polling} without wake-ups, ${notified} with`);
  assert.ok(polling >= 10, `about 25 polls expected, got ${polling}`);
  assert.ok(notified <= 7, `about 5 polls expected, got ${notified}`);
  assert.ok(notified * 2.5 <= polling, `${notified} vs ${polling}`);
});
