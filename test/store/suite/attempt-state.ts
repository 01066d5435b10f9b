/** getJobAttemptState: what the orphan reaper reads of a job by id alone, whatever its owner. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newJob, OTHER_OWNER, T0, type SuiteContext } from './support.ts';

export function attemptStateTests(ctx: SuiteContext): void {
  test('getJobAttemptState follows state, attempt and outputs for any owner, and is undefined for an unknown id', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ ownerKeyId: OTHER_OWNER });
    await store.insertJob(job);
    assert.deepEqual(await store.getJobAttemptState(job.id), { state: 'queued', attempt: 0, outputs: null });

    await store.claimNext('w1', 1_000, T0);
    assert.deepEqual(await store.getJobAttemptState(job.id), { state: 'running', attempt: 1, outputs: null });

    await store.sweepExpiredLeases(T0 + 2_000);
    await store.claimNext('w2', 1_000, T0 + 2_000);
    const outputs = [{ key: `outputs/${job.id}/2-abc/0.png`, kind: 'image' as const, contentType: 'image/png' }];
    assert.equal(await store.complete(job.id, 2, outputs, T0 + 2_500), true);
    assert.deepEqual(await store.getJobAttemptState(job.id), { state: 'succeeded', attempt: 2, outputs });

    assert.equal(await store.getJobAttemptState('no-such-job'), undefined);
  });
}
