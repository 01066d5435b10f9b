/** The fields a job runs without (MODELGATE_UNKNOWN_INPUTS=ignore) are kept with it, on every insert path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newJob, OWNER, T0, type SuiteContext } from './support.ts';

export function ignoredFieldTests(ctx: SuiteContext): void {
  test('ignored fields read back as inserted, alone, in a group commit and through insertJobOnce; none reads as []', async () => {
    const { store, another } = await ctx.fresh();
    const reader = await another();
    // Names that JSON text and array encodings must both survive.
    const alone = newJob({ ignoredFields: ['lora_path', 'webhook'] });
    const batch = [newJob({ ignoredFields: ['a "quoted", {name}', 'ünï\\code', 'NULL'] }), newJob(), newJob({ ignoredFields: [] }), newJob({ ignoredFields: ['x'] })];
    const once = newJob({ ignoredFields: ['extra'] });
    await store.insertJob(alone);
    await Promise.all(batch.map((job) => store.insertJob(job)));
    await store.insertJobOnce(once, { key: 'k', requestHash: 'h', now: T0, expiresAt: T0 + 1000 });

    for (const job of [alone, ...batch, once]) {
      const record = await reader.getJob(job.id, OWNER);
      assert.deepEqual(record?.ignoredFields, job.ignoredFields ?? [], JSON.stringify(job.ignoredFields));
    }
    // And they stay through the job's life: a claim and a settle do not touch them.
    await store.claimNext('w', 1000, T0);
    await store.complete(alone.id, 1, [], T0 + 1);
    assert.deepEqual((await store.getJob(alone.id, OWNER))?.ignoredFields, ['lora_path', 'webhook']);
  });
}
