/** Usage and cost: written by the settling statement, fenced with it, summed per key by one aggregate. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_USAGE, type JobUsage, type Store } from '../../../src/store/store.ts';
import { newJob, OTHER_OWNER, OWNER, T0, type SuiteContext } from './support.ts';

const LEASE = 1_000;
const DAY = 86_400_000;
const image = { key: 'outputs/x/0.png', kind: 'image', contentType: 'image/png' } as const;

/** Inserts, claims and completes one job; returns its id. */
async function settle(store: Store, finishedAt: number, usage: JobUsage, overrides: Parameters<typeof newJob>[0] = {}): Promise<string> {
  const job = newJob(overrides);
  await store.insertJob(job);
  const claimed = await store.claimNext('w', LEASE, finishedAt - 1);
  assert.equal(claimed?.id, job.id);
  assert.equal(await store.complete(job.id, claimed.attempt, [image], finishedAt, usage), true);
  return job.id;
}

export function usageTests(ctx: SuiteContext): void {
  test('complete records outputs, seconds and cost in the settle, exactly to a millisecond and a millionth of a dollar', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    assert.deepEqual((await store.getJob(job.id, OWNER))?.usage, NO_USAGE, 'a queued job has cost nothing');
    const claimed = await store.claimNext('w', LEASE, T0);
    // 0.1 × 1.5 is 0.15000000000000002 in floating point: stored as 150000 millionths.
    assert.equal(await store.complete(job.id, claimed!.attempt, [image], T0 + 10, { outputs: 1, seconds: 1.5, costUsd: 0.1 * 1.5 }), true);
    const done = await store.getJob(job.id, OWNER);
    assert.equal(done?.state, 'succeeded');
    assert.deepEqual(done?.usage, { outputs: 1, seconds: 1.5, costUsd: 0.15 });
  });

  test('a fenced-out complete records no usage: the winning attempt’s usage stands', async () => {
    const { store, another } = await ctx.fresh();
    const other = await another();
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('old', LEASE, T0);
    await other.sweepExpiredLeases(T0 + LEASE + 1);
    const winner = await other.claimNext('new', LEASE, T0 + LEASE + 2);
    assert.equal(winner?.attempt, 2);

    assert.equal(await store.complete(job.id, 1, [image], T0 + LEASE + 3, { outputs: 9, seconds: 0, costUsd: 9 }), false);
    assert.deepEqual((await store.getJob(job.id, OWNER))?.usage, NO_USAGE, 'the stale attempt wrote nothing');
    assert.equal(await other.complete(job.id, 2, [image], T0 + LEASE + 4, { outputs: 2, seconds: 0, costUsd: 0.06 }), true);
    assert.equal(await store.complete(job.id, 1, [image], T0 + LEASE + 5, { outputs: 9, seconds: 0, costUsd: 9 }), false);
    assert.deepEqual((await store.getJob(job.id, OWNER))?.usage, { outputs: 2, seconds: 0, costUsd: 0.06 });
  });

  test('failed and cancelled jobs cost nothing', async () => {
    const { store } = await ctx.fresh();
    const failed = newJob();
    const cancelled = newJob();
    await store.insertJob(failed);
    await store.insertJob(cancelled);
    const claimed = await store.claimNext('w', LEASE, T0);
    assert.equal(claimed?.id, failed.id);
    assert.equal(await store.fail(failed.id, 1, { type: 'engine_error', message: 'x' }, T0 + 1), true);
    assert.equal(await store.cancelJob(cancelled.id, OWNER, T0 + 2), 'cancelled');
    for (const id of [failed.id, cancelled.id]) assert.deepEqual((await store.getJob(id, OWNER))?.usage, NO_USAGE);
  });

  test('usage sums one key’s jobs that finished in [from, to), by model or by UTC day, never another key’s', async () => {
    const { store } = await ctx.fresh();
    const day1 = Date.UTC(2026, 0, 5);
    const day2 = day1 + DAY;
    await settle(store, day1 + 1_000, { outputs: 2, seconds: 0, costUsd: 0.06 }, { modelId: 'm/image' });
    await settle(store, day1 + DAY - 1, { outputs: 1, seconds: 5, costUsd: 0.5 }, { modelId: 'm/video' });
    await settle(store, day2 + 10, { outputs: 3, seconds: 0, costUsd: 0.09 }, { modelId: 'm/image' });
    await settle(store, day2 + 20, { outputs: 50, seconds: 0, costUsd: 100 }, { modelId: 'm/image', ownerKeyId: OTHER_OWNER });
    // A failed job counts as a job with nothing made; a cancelled one never ran and is not counted.
    const failed = newJob({ modelId: 'm/video' });
    await store.insertJob(failed);
    await store.claimNext('w', LEASE, day2 + 29);
    await store.fail(failed.id, 1, { type: 'engine_error', message: 'x' }, day2 + 30);
    const cancelled = newJob({ modelId: 'm/image' });
    await store.insertJob(cancelled);
    await store.cancelJob(cancelled.id, OWNER, day2 + 40);

    const window = { ownerKeyId: OWNER, from: day1, to: day2 + DAY };
    assert.deepEqual(await store.usage(window), [{ key: null, jobs: 4, outputs: 6, seconds: 5, costUsd: 0.65 }]);
    assert.deepEqual(await store.usage({ ...window, groupBy: 'model' }), [
      { key: 'm/image', jobs: 2, outputs: 5, seconds: 0, costUsd: 0.15 },
      { key: 'm/video', jobs: 2, outputs: 1, seconds: 5, costUsd: 0.5 },
    ]);
    assert.deepEqual(await store.usage({ ...window, groupBy: 'day' }), [
      { key: '2026-01-05', jobs: 2, outputs: 3, seconds: 5, costUsd: 0.56 },
      { key: '2026-01-06', jobs: 2, outputs: 3, seconds: 0, costUsd: 0.09 },
    ]);
    // [from, to): the last millisecond of day 1 is in the first day only.
    assert.deepEqual(await store.usage({ ownerKeyId: OWNER, from: day1 + DAY - 1, to: day2, groupBy: 'model' }), [
      { key: 'm/video', jobs: 1, outputs: 1, seconds: 5, costUsd: 0.5 },
    ]);
    assert.deepEqual(await store.usage({ ...window, ownerKeyId: OTHER_OWNER, groupBy: 'day' }), [{ key: '2026-01-06', jobs: 1, outputs: 50, seconds: 0, costUsd: 100 }]);
    assert.deepEqual(await store.usage({ ...window, ownerKeyId: 'nobody' }), [{ key: null, jobs: 0, outputs: 0, seconds: 0, costUsd: 0 }]);
    assert.deepEqual(await store.usage({ ...window, ownerKeyId: 'nobody', groupBy: 'model' }), []);
  });
}
