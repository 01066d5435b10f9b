/**
 * queue_position at depth: the counts kept per range of seqs (migrations/queue-counts.ts) must
 * give exactly the number of queued jobs ahead, through every way a job enters or leaves the
 * queue, across range boundaries, and under claims and cancels from two store instances at once.
 * Each test keeps the true queue in an array and compares positions against its indexes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NewJob, Store } from '../../../src/store/store.ts';
import { insertInOrder, newJob, OWNER, T0, type SuiteContext } from './support.ts';

const LEASE = 1_000;
const LOST = { type: 'server_lost', message: 'the GPU server went away' };

const positionOf = async (store: Store, id: string) => (await store.getJob(id, OWNER))?.queuePosition;

/** Asserts that each sampled id of `queue` (the true queue, in order) reports its index. */
async function assertPositions(store: Store, queue: string[], sample: number[], what: string): Promise<void> {
  const indexes = [...new Set(sample.filter((i) => i >= 0 && i < queue.length))];
  const seen = await Promise.all(indexes.map((i) => positionOf(store, queue[i]!)));
  assert.deepEqual(seen, indexes, what);
}

/**
 * Submits `count` jobs, 500 at a time: one chunk fits one group commit (the batcher's 512), which
 * keeps the chunk's order, and chunks go one after another, so the array's order is the queue's.
 */
async function insertMany(store: Store, count: number): Promise<NewJob[]> {
  const jobs = Array.from({ length: count }, (_, i) => newJob({ input: { n: i } }));
  for (let i = 0; i < count; i += 500) await Promise.all(jobs.slice(i, i + 500).map((job) => store.insertJob(job)));
  return jobs;
}

export function positionTests(ctx: SuiteContext): void {
  test('a job alone is 0, and a job that leaves the queue has no position', async () => {
    const { store } = await ctx.fresh();
    const [job] = await insertInOrder(store, 1);
    assert.equal(await positionOf(store, job!.id), 0);
    await store.claimNext('w', LEASE, T0);
    assert.equal(await positionOf(store, job!.id), null);
    const [next] = await insertInOrder(store, 1);
    assert.equal(await positionOf(store, next!.id), 0, 'a running job is not ahead of anyone');
  });

  test('positions are exact across level-1 (128) and level-2 (16,384) ranges, through claims and cancels in the middle', async () => {
    const { store } = await ctx.fresh();
    const queue = (await insertMany(store, 16_700)).map((job) => job.id);
    const edges = [0, 1, 126, 127, 128, 129, 255, 256, 8_000, 16_382, 16_383, 16_384, 16_385, 16_600, queue.length - 1];
    await assertPositions(store, queue, edges, 'fresh queue');

    // Cancel every 61st job (scattered over many ranges), then claim 300 from the head.
    for (let i = queue.length - 1; i >= 0; i -= 61) {
      assert.equal(await store.cancelJob(queue[i]!, OWNER, T0), 'cancelled');
      queue.splice(i, 1);
    }
    await assertPositions(store, queue, edges, 'after cancels in the middle');
    for (let i = 0; i < 300; i++) assert.equal((await store.claimNext('w', LEASE, T0))?.id, queue.shift());
    await assertPositions(store, queue, [...edges, 16_000, 16_050, 16_100], 'after claims from the head');
  });

  test('a requeued job goes back to its old place: release, the sweeper, and retry (also while waiting out notBefore)', async () => {
    const { store } = await ctx.fresh();
    const [a, b, c, d, e] = (await insertInOrder(store, 5)).map((job) => job.id) as [string, string, string, string, string];
    await store.claimNext('w', LEASE, T0); // a
    await store.claimNext('w', LEASE, T0); // b
    await store.claimNext('w', LEASE, T0); // c
    await assertPositions(store, [d, e], [0, 1], 'three running, two queued');

    assert.equal(await store.release(b, 1), true);
    await assertPositions(store, [b, d, e], [0, 1, 2], 'released b is ahead of d and e again');

    await store.heartbeat(c, 1, 10 * LEASE, T0); // only a's lease runs out
    assert.deepEqual((await store.sweepExpiredLeases(T0 + 2 * LEASE)).requeued, [a]);
    await assertPositions(store, [a, b, d, e], [0, 1, 2, 3], 'the sweeper puts a back at the very front');

    assert.equal(await store.retry(c, 1, LOST, T0, T0 + 60_000), 'requeued');
    await assertPositions(store, [a, b, c, d, e], [0, 1, 2, 3, 4], 'retried c waits out its back-off in its own place');

    // Claims pass c while it waits: it still counts as queued for the jobs behind it.
    for (const expected of [a, b, d]) assert.equal((await store.claimNext('w', LEASE, T0 + 1))?.id, expected);
    await assertPositions(store, [c, e], [0, 1], 'c waiting is next; e counts it');
  });

  test('claims and cancels from two store instances at once keep every position exact and never negative', async () => {
    const { store, another } = await ctx.fresh();
    const second = await another();
    const jobs = await insertMany(store, 1_000);
    const queue = jobs.map((job) => job.id);
    const watched = queue[queue.length - 1]!;
    const seen: number[] = [];

    // 800 claims (eight claimers per instance, more than enough to find every count row of the
    // head's ranges held at once) and 100 cancels race, while the last job is polled.
    const claimers = Array.from({ length: 16 }, (_, w) => (w % 2 === 0 ? store : second)).map(async (s, w) => {
      const claimed: string[] = [];
      for (let i = 0; i < 50; i++) {
        const job = await s.claimNext(`w${w}`, LEASE, T0);
        if (job) claimed.push(job.id);
      }
      return claimed;
    });
    const cancelled = queue.slice(800, 999).filter((_, i) => i % 2 === 0).slice(0, 100);
    const cancels = cancelled.map((id, i) => (i % 2 === 0 ? store : second).cancelJob(id, OWNER, T0));
    let racing = true;
    const poller = (async () => {
      while (racing) {
        const position = await positionOf(second, watched);
        if (position !== null && position !== undefined) seen.push(position);
      }
    })();
    const claimed = (await Promise.all(claimers)).flat();
    const outcomes = await Promise.all(cancels);
    racing = false;
    await poller;

    const gone = new Set([...claimed, ...cancelled.filter((_, i) => outcomes[i] === 'cancelled')]);
    const rest = queue.filter((id) => !gone.has(id));
    assert.equal(claimed.length + outcomes.filter((o) => o === 'cancelled').length, queue.length - rest.length);
    await assertPositions(store, rest, rest.map((_, i) => i), 'every remaining job, read through the first instance');
    await assertPositions(second, rest, [0, rest.length - 1], 'and through the second');
    assert.ok(seen.length > 0 && seen.every((p, i) => p >= 0 && (i === 0 || p <= seen[i - 1]!)), `the watched job's positions only fell: ${seen.join(',')}`);

    // Everything leaves; a new job alone must be 0 (the counts came back to nothing).
    while (await store.claimNext('w', LEASE, T0)) {
      // drain
    }
    const [alone] = await insertInOrder(second, 1);
    assert.equal(await positionOf(store, alone!.id), 0);
  });
}
