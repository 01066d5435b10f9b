/** The queue as clients and workers see it: positions, FIFO claims, what a claim writes, cancel. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../../src/store/store.ts';
import { insertInOrder, newJob, OWNER, T0, type SuiteContext } from './support.ts';

const positions = async (store: Store, ids: string[]) => Promise.all(ids.map(async (id) => (await store.getJob(id, OWNER))?.queuePosition));

export function queueTests(ctx: SuiteContext): void {
  test('queue_position is 0-based, counts only queued jobs ahead, and follows claims, cancels and releases', async () => {
    const { store } = await ctx.fresh();
    const ids = (await insertInOrder(store, 5)).map((job) => job.id);
    assert.deepEqual(await positions(store, ids), [0, 1, 2, 3, 4]);

    const claimed = await store.claimNext('w1', 60_000, T0);
    assert.equal(claimed?.id, ids[0]);
    assert.deepEqual(await positions(store, ids), [null, 0, 1, 2, 3], 'a running job has no position; the rest move up');

    assert.equal(await store.cancelJob(ids[2]!, OWNER, T0), 'cancelled');
    assert.deepEqual(await positions(store, ids), [null, 0, null, 1, 2], 'a cancelled job leaves the count');

    assert.equal(await store.release(ids[0]!, 1), true);
    assert.deepEqual(await positions(store, ids), [0, 1, null, 2, 3], 'a released job goes back to its own place, at the front');
  });

  test('claimNext takes jobs in submission order (FIFO), then answers undefined on an empty queue', async () => {
    const { store } = await ctx.fresh();
    const jobs = await insertInOrder(store, 12);
    const order: string[] = [];
    for (let i = 0; i < jobs.length; i++) order.push((await store.claimNext(`w${i % 3}`, 60_000, T0))!.id);
    assert.deepEqual(order, jobs.map((job) => job.id));
    assert.equal(await store.claimNext('w0', 60_000, T0), undefined);
  });

  test('claim moves queued→running with worker, lease and start time; attempt grows by one per claim', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ createdAt: T0 - 50 });
    await store.insertJob(job);
    const first = await store.claimNext('worker-1', 1_000, T0 + 100);
    assert.deepEqual(first, { id: job.id, ownerKeyId: OWNER, modelId: job.modelId, input: job.input, attempt: 1, createdAt: T0 - 50 });
    const running = await store.getJob(job.id, OWNER);
    assert.equal(running?.state, 'running');
    assert.equal(running?.workerId, 'worker-1');
    assert.equal(running?.leaseUntil, T0 + 1_100);
    assert.equal(running?.startedAt, T0 + 100);
    assert.equal(running?.queuePosition, null);
    assert.equal(await store.claimNext('worker-2', 1_000, T0 + 100), undefined, 'a running job is not claimable');

    assert.equal(await store.release(job.id, 1), true);
    const second = await store.claimNext('worker-2', 1_000, T0 + 200);
    assert.equal(second?.attempt, 2);
    const again = await store.getJob(job.id, OWNER);
    assert.equal(again?.workerId, 'worker-2');
    assert.equal(again?.attempt, 2);
    assert.equal(again?.startedAt, T0 + 100, 'startedAt keeps the first start');
  });

  test('cancel: a queued job is cancelled once and never claimed; a running or finished one is not cancellable', async () => {
    const { store } = await ctx.fresh();
    const [queued, running] = await insertInOrder(store, 2);
    assert.equal(await store.cancelJob(queued!.id, OWNER, T0 + 7), 'cancelled');
    const cancelled = await store.getJob(queued!.id, OWNER);
    assert.equal(cancelled?.state, 'cancelled');
    assert.equal(cancelled?.finishedAt, T0 + 7);
    assert.equal(await store.cancelJob(queued!.id, OWNER, T0 + 8), 'cancelled', 'cancelling again answers the same');
    assert.equal((await store.getJob(queued!.id, OWNER))?.finishedAt, T0 + 7, 'and does not move finishedAt');

    const claim = await store.claimNext('w', 60_000, T0 + 9);
    assert.equal(claim?.id, running!.id, 'the cancelled job was skipped');
    assert.equal(await store.cancelJob(running!.id, OWNER, T0 + 10), 'not_cancellable');
    assert.equal((await store.getJob(running!.id, OWNER))?.state, 'running');
    assert.equal(await store.complete(running!.id, 1, [], T0 + 11), true);
    assert.equal(await store.cancelJob(running!.id, OWNER, T0 + 12), 'not_cancellable');
    assert.equal(await store.claimNext('w', 60_000, T0 + 13), undefined);
  });
}
