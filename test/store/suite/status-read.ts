/** getJobStatus: the narrow read behind every status poll answers exactly what getJob would, owner-scoped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobRecord, Store } from '../../../src/store/store.ts';
import { insertInOrder, newJob, OTHER_OWNER, OWNER, T0, type SuiteContext } from './support.ts';

async function sameAsGetJob(store: Store, id: string, owner = OWNER): Promise<void> {
  const full = await store.getJob(id, owner);
  const narrow = await store.getJobStatus(id, owner);
  const project = (job: JobRecord) => ({ id: job.id, state: job.state, progress: job.progress, ignoredFields: job.ignoredFields, queuePosition: job.queuePosition });
  assert.deepEqual(narrow, full && project(full), id);
}

export function statusReadTests(ctx: SuiteContext): void {
  test('getJobStatus: state, position, progress and ignored fields as getJob has them, in every state', async () => {
    const { store } = await ctx.fresh();
    const jobs = await insertInOrder(store, 4);
    const ignoring = newJob({ ignoredFields: ['lora_path'] });
    await store.insertJob(ignoring);
    for (const job of [...jobs, ignoring]) await sameAsGetJob(store, job.id);
    assert.equal((await store.getJobStatus(jobs[3]!.id, OWNER))?.queuePosition, 3);

    const running = (await store.claimNext('w1', 60_000, T0))!;
    assert.equal(await store.reportProgress(running.id, running.attempt, 0.25), true);
    const finished = (await store.claimNext('w1', 60_000, T0))!;
    assert.equal(await store.complete(finished.id, finished.attempt, [], T0 + 10), true);
    assert.equal(await store.cancelJob(jobs[3]!.id, OWNER, T0 + 11), 'cancelled');
    for (const job of [...jobs, ignoring]) await sameAsGetJob(store, job.id);
    assert.deepEqual(await store.getJobStatus(running.id, OWNER), { id: running.id, state: 'running', progress: 0.25, ignoredFields: [], queuePosition: null });
    assert.equal((await store.getJobStatus(jobs[2]!.id, OWNER))?.queuePosition, 0, 'the head of what is left');
  });

  test('getJobStatus: polls of one turn (read together where the backend groups them) each get their own answer', async () => {
    const { store } = await ctx.fresh();
    const mine = await insertInOrder(store, 5);
    const theirs = newJob({ ownerKeyId: OTHER_OWNER });
    await store.insertJob(theirs);
    const asks: Array<[string, string]> = [
      ...mine.map((job): [string, string] => [job.id, OWNER]),
      [theirs.id, OWNER], // another owner's: absent
      [theirs.id, OTHER_OWNER],
      ['00000000-0000-4000-8000-000000000000', OWNER],
      [mine[2]!.id, OWNER], // the same job twice in one turn
      [mine[4]!.id, OTHER_OWNER],
    ];
    const answers = await Promise.all(asks.map(([id, owner]) => store.getJobStatus(id, owner)));
    assert.deepEqual(answers.map((a) => a?.queuePosition), [0, 1, 2, 3, 4, undefined, 5, undefined, 2, undefined]);
    for (const [i, [id]] of asks.entries()) if (answers[i]) assert.equal(answers[i]!.id, id);
  });

  test("getJobStatus: another owner's job and an unknown id are both simply absent", async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    assert.equal(await store.getJobStatus(job.id, OTHER_OWNER), undefined);
    assert.equal(await store.getJobStatus('00000000-0000-4000-8000-000000000000', OWNER), undefined);
  });
}
