/** API keys, and submits: durable once acknowledged, all landing under concurrency, owner-scoped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiKeyRecord } from '../../../src/store/store.ts';
import { newJob, OTHER_OWNER, OWNER, T0, type SuiteContext } from './support.ts';

export function keyAndSubmitTests(ctx: SuiteContext): void {
  test('api keys: insert, find by hash, list in creation order, revoke once then false', async () => {
    const { store } = await ctx.fresh();
    const first: ApiKeyRecord = { id: 'key-1', name: 'first', prefix: 'mg_aaaa', hash: 'a'.repeat(64), createdAt: T0, revokedAt: null, maxRunning: null };
    const second: ApiKeyRecord = { id: 'key-2', name: 'second', prefix: 'mg_bbbb', hash: 'b'.repeat(64), createdAt: T0 + 1, revokedAt: null, maxRunning: 2 };
    await store.insertApiKey(second);
    await store.insertApiKey(first);

    assert.deepEqual(await store.findApiKeyByHash(first.hash), first);
    assert.equal(await store.findApiKeyByHash('c'.repeat(64)), undefined);
    assert.deepEqual(await store.listApiKeys(), [first, second]);
    await assert.rejects(store.insertApiKey({ ...first, id: 'key-3' }), 'a second key with the same hash must be refused');

    assert.equal(await store.revokeApiKey('key-1', T0 + 5), true);
    assert.equal(await store.revokeApiKey('key-1', T0 + 6), false, 'revoking twice answers false');
    assert.equal(await store.revokeApiKey('no-such-key', T0 + 6), false);
    assert.deepEqual(await store.findApiKeyByHash(first.hash), { ...first, revokedAt: T0 + 5 }, 'the first revocation time stays');
    assert.deepEqual(await store.findApiKeyByHash(second.hash), second, 'the other key is untouched');
  });

  test('insertJob: once resolved the job reads back exactly, from another instance too', async () => {
    const { store, another } = await ctx.fresh();
    const other = await another();
    // Quotes, backslashes, braces, commas, a literal NULL: what array and CSV encodings mangle.
    // The NUL character survives because the input is stored as JSON text, which escapes it.
    const prompt = 'ünïcödé ✓ "quoted" \\back\\slash {braces},commas NULL\nnew line, NUL \u0000 end';
    const job = newJob({ input: { prompt, nested: { list: [1, 2.5, null, true], empty: '' } }, maxAttempts: 4, createdAt: T0 + 42 });
    await store.insertJob(job);
    const expected = {
      id: job.id, ownerKeyId: OWNER, modelId: job.modelId, input: job.input, ignoredFields: [], state: 'queued', attempt: 0, maxAttempts: 4,
      lostLeases: 0, workerId: null, leaseUntil: null, progress: null, outputs: null, error: null,
      createdAt: T0 + 42, startedAt: null, finishedAt: null, queuePosition: 0,
      usage: { outputs: 0, seconds: 0, costUsd: 0 },
    };
    assert.deepEqual(await store.getJob(job.id, OWNER), expected);
    assert.deepEqual(await other.getJob(job.id, OWNER), expected);
  });

  test('insertJob: 500 concurrent inserts all land, each readable from another connection when its promise resolves', async () => {
    const { store, another } = await ctx.fresh();
    const reader = await another();
    const jobs = Array.from({ length: 500 }, (_, i) => newJob({ input: { n: i } }));
    // Each read starts the moment that job's own insert resolves, on a different connection:
    // it can only see the row if the insert had committed before resolving.
    const seen = await Promise.all(jobs.map((job) => store.insertJob(job).then(() => reader.getJob(job.id, OWNER))));
    const missing = seen.filter((record) => record === undefined).length;
    assert.equal(missing, 0, `${missing} of 500 acknowledged jobs were not readable at acknowledgement`);
    const all = await Promise.all(jobs.map((job) => reader.getJob(job.id, OWNER)));
    assert.deepEqual(all.map((record) => record?.input), jobs.map((job) => job.input));
    const positions = all.map((record) => record?.queuePosition).sort((a, b) => (a ?? -1) - (b ?? -1));
    assert.deepEqual(positions, Array.from({ length: 500 }, (_, i) => i), 'queue positions are exactly 0..499');
  });

  test('insertJob: a duplicate id is refused alone; the jobs submitted beside it still land', async () => {
    const { store } = await ctx.fresh();
    const existing = newJob();
    await store.insertJob(existing);
    const neighbours = Array.from({ length: 10 }, () => newJob());
    const results = await Promise.allSettled([...neighbours.slice(0, 5), { ...newJob(), id: existing.id }, ...neighbours.slice(5)].map((job) => store.insertJob(job)));
    assert.deepEqual(results.map((result) => result.status), [...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
    for (const job of neighbours) assert.equal((await store.getJob(job.id, OWNER))?.state, 'queued');
    assert.deepEqual((await store.getJob(existing.id, OWNER))?.input, existing.input, 'the first job with that id is unchanged');
  });

  test('a committed job survives closing the store and opening the database again', async () => {
    const { store, another } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    await store.close();
    const reopened = await another();
    assert.equal((await reopened.getJob(job.id, OWNER))?.state, 'queued');
  });

  test('getJob and cancelJob are scoped by owner: another owner sees no job at all', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    assert.equal(await store.getJob(job.id, OTHER_OWNER), undefined);
    assert.equal(await store.getJob('00000000-0000-0000-0000-000000000000', OWNER), undefined);
    assert.equal(await store.cancelJob(job.id, OTHER_OWNER, T0 + 1), 'not_found', "another owner's cancel answers like an unknown id");
    assert.equal(await store.cancelJob('00000000-0000-0000-0000-000000000000', OWNER, T0 + 1), 'not_found');
    assert.equal((await store.getJob(job.id, OWNER))?.state, 'queued', "another owner's cancel changed nothing");
  });
}
