/** insertJobOnce: one job per (owner, key) while the key lives, whatever the concurrency. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IdempotencyClaim } from '../../../src/store/store.ts';
import { newJob, OTHER_OWNER, OWNER, T0, type SuiteContext } from './support.ts';

const claim = (overrides: Partial<IdempotencyClaim> = {}): IdempotencyClaim => ({ key: 'retry-1', requestHash: 'h1', now: T0, expiresAt: T0 + 1000, ...overrides });

export function idempotencyTests(ctx: SuiteContext): void {
  test('idempotency: the first insert creates, an identical retry replays, a different request is a mismatch', async () => {
    const { store } = await ctx.fresh();
    const first = newJob();
    assert.deepEqual(await store.insertJobOnce(first, claim()), { outcome: 'created', requestId: first.id });
    assert.deepEqual(await store.insertJobOnce(newJob(), claim()), { outcome: 'replayed', requestId: first.id });
    assert.deepEqual(await store.insertJobOnce(newJob(), claim({ requestHash: 'h2' })), { outcome: 'mismatch', requestId: first.id });
    assert.equal((await store.getJob(first.id, OWNER))?.state, 'queued');
    assert.equal((await store.claimNext('w', 1000, T0))?.id, first.id);
    assert.equal(await store.claimNext('w', 1000, T0), undefined, 'exactly one job was created');
  });

  test('idempotency: keys are per owner, and an expired key starts a new job', async () => {
    const { store } = await ctx.fresh();
    const mine = newJob();
    const theirs = newJob({ ownerKeyId: OTHER_OWNER });
    assert.equal((await store.insertJobOnce(mine, claim())).outcome, 'created');
    assert.equal((await store.insertJobOnce(theirs, claim())).outcome, 'created');
    const later = newJob();
    assert.deepEqual(await store.insertJobOnce(later, claim({ now: T0 + 1000, expiresAt: T0 + 2000 })), { outcome: 'created', requestId: later.id });
  });

  test('idempotency: 20 concurrent identical retries from two store instances create exactly one job', async () => {
    const { store, another } = await ctx.fresh();
    const second = await another();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? second : store).insertJobOnce(newJob(), claim({ key: 'burst' }))));
    const ids = new Set(results.map((r) => r.requestId));
    assert.equal(ids.size, 1);
    assert.equal(results.filter((r) => r.outcome === 'created').length, 1);
    let claimed = 0;
    while (await store.claimNext('w', 1000, T0)) claimed += 1;
    assert.equal(claimed, 1);
  });
}
