/**
 * A wake-up rouses one idle slot, and a slot whose claim found a job passes it on: a single
 * submit costs about two claims (not one per idle slot), and a batch still reaches every slot.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { createHarness, MODELS, waitFor } from '../support/harness.ts';

const SLOTS = 8;

test('one submit wakes one idle slot plus one relay; a batch of sleeping jobs reaches every slot', async () => {
  // Polling far apart, so every claim below was caused by a wake-up.
  const h = await createHarness({ env: { MODELGATE_POLL_INTERVAL_MS: '60000' } });
  let claims = 0;
  const real = h.ctx.store;
  const counting: Store = Object.assign(Object.create(real) as Store, {
    claimNext: (...args: Parameters<Store['claimNext']>) => {
      claims += 1;
      return real.claimNext(...args);
    },
  });
  const pool = new WorkerPool({ ...h.ctx, store: counting }, { concurrency: SLOTS, shutdownGraceMs: 10 });
  const submit = (prompt: string) => {
    const id = randomUUID();
    return { id, done: real.insertJob({ id, ownerKeyId: h.keyId, modelId: MODELS.dreamina, input: { prompt }, maxAttempts: 3, createdAt: Date.now() }) };
  };
  const finished = (id: string) => waitFor(() => real.getJob(id, h.keyId), (job) => job?.state === 'succeeded');
  try {
    pool.start();
    await waitFor(() => claims, (n) => n >= SLOTS);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const before = claims;
    const one = submit('a cat');
    await one.done;
    await finished(one.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const forOne = claims - before;
    assert.ok(forOne >= 1 && forOne <= 3, `one submit into ${SLOTS} idle slots took ${forOne} claims (waking every slot costs at least ${SLOTS})`);

    // Jobs that each run 300 ms, submitted in one turn (one commit, one wake-up): only the relay
    // can start them together, so they all finish in about one run's time, not eight.
    const started = Date.now();
    const batch = Array.from({ length: SLOTS }, () => submit('sleep=300'));
    await Promise.all(batch.map((job) => job.done));
    for (const job of batch) await finished(job.id);
    const took = Date.now() - started;
    assert.ok(took < 300 * 3, `${SLOTS} jobs of 300 ms on ${SLOTS} slots took ${took} ms: the wake-up did not reach every slot`);
  } finally {
    await pool.stop();
    await h.close();
  }
});
