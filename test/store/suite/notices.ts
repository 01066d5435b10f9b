/** An engine's notices are written by the completing statement and read back with the job; none reads as absent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newJob, OWNER, T0, type SuiteContext } from './support.ts';

export function noticeTests(ctx: SuiteContext): void {
  test('complete() keeps the notices with the job (quotes, unicode, commas survive); without them the record has none', async () => {
    const { store, another } = await ctx.fresh();
    const reader = await another();
    const told = newJob();
    const silent = newJob();
    await store.insertJob(told);
    await store.insertJob(silent);
    const notices = ['draws only "shapes", not girls', 'ünïcödé ✓, {braces}, NULL'];
    const first = await store.claimNext('w', 1000, T0);
    const second = await store.claimNext('w', 1000, T0);
    assert.deepEqual([first?.id, second?.id], [told.id, silent.id]);
    assert.equal(await store.complete(told.id, 1, [], T0 + 1, undefined, notices), true);
    assert.equal(await store.complete(silent.id, 1, [], T0 + 1, undefined, []), true);
    assert.deepEqual((await reader.getJob(told.id, OWNER))?.notices, notices);
    assert.equal('notices' in (await reader.getJob(silent.id, OWNER))!, false);
  });

  test('a fenced-out complete() writes no notices', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('w', 1000, T0);
    assert.equal(await store.complete(job.id, 2, [], T0 + 1, undefined, ['stale']), false);
    assert.equal('notices' in (await store.getJob(job.id, OWNER))!, false);
  });
}
