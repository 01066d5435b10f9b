/** retry(): an engine's "failed for a reason outside the job" requeues on the lost-lease budget. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newJob, nextWakeUp, OWNER, T0, withTimeout, type SuiteContext } from './support.ts';

const LEASE = 1_000;
const LOST = { type: 'server_lost', message: 'the GPU server went away' };

export function retryTests(ctx: SuiteContext): void {
  test('retry requeues while lostLeases+1 < maxAttempts, then fails with the given error; each retry spends the budget', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ maxAttempts: 3 });
    await store.insertJob(job);
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal((await store.claimNext('w', LEASE, T0))?.attempt, attempt);
      assert.equal(await store.reportProgress(job.id, attempt, 0.4), true);
      const outcome = await store.retry(job.id, attempt, LOST, T0 + attempt);
      const record = await store.getJob(job.id, OWNER);
      assert.equal(record?.lostLeases, attempt);
      assert.deepEqual([record?.workerId, record?.leaseUntil, record?.progress], [null, null, null]);
      if (attempt < 3) {
        assert.equal(outcome, 'requeued');
        assert.deepEqual([record?.state, record?.error, record?.finishedAt, record?.queuePosition], ['queued', null, null, 0]);
      } else {
        assert.equal(outcome, 'failed');
        assert.deepEqual([record?.state, record?.error, record?.finishedAt], ['failed', LOST, T0 + 3]);
      }
    }
    assert.equal(await store.claimNext('w', LEASE, T0), undefined, 'a job failed by retry is not claimed again');
  });

  test('retry with notBefore: the requeued job is not claimed before then, and is claimed from then on', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ maxAttempts: 3 });
    await store.insertJob(job);
    await store.claimNext('w', LEASE, T0);
    assert.equal(await store.retry(job.id, 1, LOST, T0 + 10, T0 + 5_000), 'requeued');
    assert.equal((await store.getJob(job.id, OWNER))?.state, 'queued', 'waiting out its back-off, it is queued');
    assert.equal(await store.claimNext('w', LEASE, T0 + 4_999), undefined, 'not claimable a millisecond early');
    const later = newJob();
    await store.insertJob(later);
    assert.equal((await store.claimNext('w', LEASE, T0 + 4_999))?.id, later.id, 'a job behind it in the queue goes first meanwhile');
    assert.equal((await store.claimNext('w', LEASE, T0 + 5_000))?.attempt, 2, 'claimable at notBefore');
  });

  test('retry and lost leases share one budget', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ maxAttempts: 2 });
    await store.insertJob(job);
    await store.claimNext('w', LEASE, T0);
    assert.deepEqual(await store.sweepExpiredLeases(T0 + LEASE + 1), { requeued: [job.id], failed: [] });
    await store.claimNext('w', LEASE, T0 + LEASE + 2);
    assert.equal(await store.retry(job.id, 2, LOST, T0 + LEASE + 3), 'failed', 'one lost lease + one retry = maxAttempts 2');
    assert.deepEqual((await store.getJob(job.id, OWNER))?.error, LOST);
  });

  test('retry is fenced on (id, attempt, running): a stale or settled attempt changes nothing', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('w', LEASE, T0);
    await store.sweepExpiredLeases(T0 + LEASE + 1);
    await store.claimNext('w2', LEASE, T0 + LEASE + 2);
    const before = await store.getJob(job.id, OWNER);
    assert.equal(await store.retry(job.id, 1, LOST, T0 + LEASE + 3), undefined, 'the stale attempt 1');
    assert.deepEqual(await store.getJob(job.id, OWNER), before);
    assert.equal(await store.complete(job.id, 2, [], T0 + LEASE + 4), true);
    assert.equal(await store.retry(job.id, 2, LOST, T0 + LEASE + 5), undefined, 'a finished job');
    assert.equal((await store.getJob(job.id, OWNER))?.state, 'succeeded');
    assert.equal(await store.retry('no-such-job', 1, LOST, T0), undefined);
  });

  test('a requeueing retry wakes idle workers; the job is claimable at once', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('w', LEASE, T0);
    const woken = nextWakeUp(store, async () => (await store.claimNext('w2', LEASE, T0 + 10))?.attempt);
    assert.equal(await store.retry(job.id, 1, LOST, T0 + 5), 'requeued');
    assert.equal(await withTimeout(woken, 3_000, 'the wake-up after a retry'), 2);
  });
}
