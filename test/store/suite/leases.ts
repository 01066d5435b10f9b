/** Leases: heartbeats, the sweeper and its retry budget, release, fencing, terminal settles. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerLostMessage } from '../../../src/store/rows.ts';
import type { JobOutputFile } from '../../../src/store/store.ts';
import { newJob, OWNER, T0, type SuiteContext } from './support.ts';

const LEASE = 1_000;
const output = (name: string): JobOutputFile => ({ key: `jobs/x/${name}.png`, kind: 'image', contentType: 'image/png' });

export function leaseTests(ctx: SuiteContext): void {
  test('fencing: after expiry, sweep and re-claim, every stale call with the old attempt is refused and changes nothing', async (t) => {
    const { store, another } = await ctx.fresh();
    const other = await another();
    const job = newJob();
    await store.insertJob(job);
    const stale = await store.claimNext('worker-old', LEASE, T0);
    assert.equal(stale?.attempt, 1);
    assert.equal(await store.reportProgress(job.id, 1, 0.3), true);

    assert.deepEqual(await other.sweepExpiredLeases(T0 + LEASE + 1), { requeued: [job.id], failed: [] });
    const winner = await other.claimNext('worker-new', LEASE, T0 + LEASE + 2);
    assert.equal(winner?.attempt, 2);
    assert.deepEqual(await store.sweepExpiredLeases(T0 + LEASE + 1), { requeued: [], failed: [] }, 'a second sweeper finds the live lease');

    const before = await store.getJob(job.id, OWNER);
    const staleCalls = {
      heartbeat: await store.heartbeat(job.id, 1, LEASE, T0 + LEASE + 3),
      reportProgress: await store.reportProgress(job.id, 1, 0.9),
      complete: await store.complete(job.id, 1, [output('stale')], T0 + LEASE + 4),
      fail: await store.fail(job.id, 1, { type: 'engine_error', message: 'stale' }, T0 + LEASE + 5),
      release: await store.release(job.id, 1),
    };
    assert.deepEqual(staleCalls, { heartbeat: false, reportProgress: false, complete: false, fail: false, release: false });
    assert.deepEqual(await store.getJob(job.id, OWNER), before, 'the stale calls changed nothing');

    assert.equal(await other.reportProgress(job.id, 2, 0.6), true);
    assert.equal(await other.complete(job.id, 2, [output('winner')], T0 + LEASE + 6), true);
    const lateStale = [await store.complete(job.id, 1, [output('stale')], T0 + LEASE + 7), await store.fail(job.id, 1, { type: 'x', message: 'y' }, T0 + LEASE + 7)];
    assert.deepEqual(lateStale, [false, false]);
    const accepted = [...Object.values(staleCalls), ...lateStale].filter(Boolean).length;

    const final = await store.getJob(job.id, OWNER);
    assert.equal(final?.state, 'succeeded');
    assert.equal(final?.attempt, 2);
    assert.deepEqual(final?.outputs, [output('winner')], "the winner's outputs, not the stale worker's");
    assert.equal(final?.error, null);
    t.diagnostic(`stale calls after re-claim: ${Object.keys(staleCalls).length + lateStale.length}, accepted: ${accepted}`);
  });

  test('sweepExpiredLeases requeues while lostLeases+1 < maxAttempts, then fails the job with worker_lost', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ maxAttempts: 3 });
    await store.insertJob(job);
    let now = T0;
    for (let loss = 1; loss <= 3; loss++) {
      assert.equal((await store.claimNext(`w${loss}`, LEASE, now))?.attempt, loss);
      assert.deepEqual(await store.sweepExpiredLeases(now + LEASE), { requeued: [], failed: [] }, 'a lease is live up to its last millisecond');
      now += LEASE + 1;
      const swept = await store.sweepExpiredLeases(now);
      const record = await store.getJob(job.id, OWNER);
      assert.equal(record?.lostLeases, loss);
      assert.equal(record?.workerId, null);
      assert.equal(record?.leaseUntil, null);
      if (loss < 3) {
        assert.deepEqual(swept, { requeued: [job.id], failed: [] });
        assert.equal(record?.state, 'queued');
        assert.equal(record?.finishedAt, null);
      } else {
        assert.deepEqual(swept, { requeued: [], failed: [job.id] });
        assert.equal(record?.state, 'failed');
        assert.deepEqual(record?.error, { type: 'worker_lost', message: workerLostMessage(3) });
        assert.equal(record?.finishedAt, now);
        assert.equal(record?.attempt, 3);
      }
    }
    assert.equal(await store.claimNext('w4', LEASE, now), undefined, 'a failed job is not claimed again');

    const once = newJob({ maxAttempts: 1 });
    await store.insertJob(once);
    await store.claimNext('w', LEASE, now);
    assert.deepEqual(await store.sweepExpiredLeases(now + LEASE + 1), { requeued: [], failed: [once.id] }, 'maxAttempts 1: the first loss is final');
    assert.equal((await store.getJob(once.id, OWNER))?.error?.message, workerLostMessage(1));
  });

  test('a heartbeat extends the lease, so the sweeper leaves the job alone until the new deadline', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('w', LEASE, T0);
    assert.equal(await store.heartbeat(job.id, 1, LEASE, T0 + 900), true);
    assert.equal((await store.getJob(job.id, OWNER))?.leaseUntil, T0 + 1_900);
    assert.deepEqual(await store.sweepExpiredLeases(T0 + 1_500), { requeued: [], failed: [] });
    assert.equal((await store.getJob(job.id, OWNER))?.state, 'running');
    assert.deepEqual(await store.sweepExpiredLeases(T0 + 1_901), { requeued: [job.id], failed: [] });
  });

  test('release returns the job to the queue without spending the retry budget', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ maxAttempts: 2 });
    await store.insertJob(job);
    for (let attempt = 1; attempt <= 4; attempt++) {
      assert.equal((await store.claimNext('w', LEASE, T0))?.attempt, attempt);
      assert.equal(await store.reportProgress(job.id, attempt, 0.5), true);
      assert.equal(await store.release(job.id, attempt), true);
      assert.equal(await store.release(job.id, attempt), false, 'a second release of the same attempt is refused');
      const record = await store.getJob(job.id, OWNER);
      assert.deepEqual([record?.state, record?.lostLeases, record?.workerId, record?.leaseUntil, record?.progress, record?.queuePosition], ['queued', 0, null, null, null, 0]);
    }
    // Four releases spent nothing: with maxAttempts 2, one lost lease still only requeues.
    await store.claimNext('w', LEASE, T0);
    assert.deepEqual(await store.sweepExpiredLeases(T0 + LEASE + 1), { requeued: [job.id], failed: [] });
  });

  test('complete and fail are terminal: they set finishedAt, clear the lease, and a second settle answers false', async () => {
    const { store } = await ctx.fresh();
    const [done, broken] = [newJob(), newJob()];
    await store.insertJob(done);
    await store.insertJob(broken);
    await store.claimNext('w', LEASE, T0);
    await store.claimNext('w', LEASE, T0);

    assert.equal(await store.complete(done.id, 1, [output('a'), output('b')], T0 + 10), true);
    const succeeded = await store.getJob(done.id, OWNER);
    assert.deepEqual(
      [succeeded?.state, succeeded?.outputs, succeeded?.progress, succeeded?.finishedAt, succeeded?.workerId, succeeded?.leaseUntil],
      ['succeeded', [output('a'), output('b')], 1, T0 + 10, null, null],
    );
    assert.equal(await store.fail(broken.id, 1, { type: 'engine_error', message: 'boom' }, T0 + 20), true);
    const failed = await store.getJob(broken.id, OWNER);
    assert.deepEqual([failed?.state, failed?.error, failed?.finishedAt, failed?.outputs, failed?.workerId], ['failed', { type: 'engine_error', message: 'boom' }, T0 + 20, null, null]);

    for (const id of [done.id, broken.id]) {
      const before = await store.getJob(id, OWNER);
      const settles = [
        await store.complete(id, 1, [output('late')], T0 + 30),
        await store.fail(id, 1, { type: 'late', message: 'late' }, T0 + 30),
        await store.heartbeat(id, 1, LEASE, T0 + 30),
        await store.reportProgress(id, 1, 0.1),
        await store.release(id, 1),
      ];
      assert.deepEqual(settles, [false, false, false, false, false]);
      assert.deepEqual(await store.getJob(id, OWNER), before);
    }
    assert.deepEqual(await store.sweepExpiredLeases(T0 + 10 * LEASE), { requeued: [], failed: [] }, 'finished jobs hold no lease to expire');
  });
}
