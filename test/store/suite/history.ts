/** Request history, tombstones, retention candidates and settle wake-ups (GET/DELETE /v1/requests, Prefer: wait). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListedJob, Store } from '../../../src/store/store.ts';
import { newJob, OTHER_OWNER, OWNER, T0, withTimeout, type SuiteContext } from './support.ts';

const LEASE = 1_000;
const image = (id: string) => ({ key: `outputs/${id}/1-ab/0.png`, kind: 'image', contentType: 'image/png' }) as const;

/** Every page of a key's history, `limit` at a time, calling `between` after each page. */
async function allPages(store: Store, limit: number, between: () => Promise<void> = async () => {}): Promise<string[]> {
  const seen: string[] = [];
  let before: number | undefined;
  for (;;) {
    const rows: ListedJob[] = await store.listJobs({ ownerKeyId: OWNER, limit: limit + 1, ...(before === undefined ? {} : { beforeSeq: before }) });
    const page = rows.slice(0, limit);
    seen.push(...page.map((job) => job.id));
    if (rows.length <= limit) return seen;
    before = page.at(-1)!.seq;
    await between();
  }
}

async function settleOne(store: Store, id: string, now: number): Promise<void> {
  const claimed = await store.claimNext('w', LEASE, now);
  assert.equal(claimed?.id, id);
  assert.equal(await store.complete(id, claimed.attempt, [image(id)], now + 1), true);
}

export function historyTests(ctx: SuiteContext): void {
  test('listJobs: one key’s jobs, newest first, keyset pages without gaps or duplicates while jobs are being added', async () => {
    const { store, another } = await ctx.fresh();
    const other = await another();
    const first: string[] = [];
    for (let i = 0; i < 23; i++) {
      const job = newJob({ createdAt: T0 + i });
      await store.insertJob(job);
      first.push(job.id);
      await store.insertJob(newJob({ ownerKeyId: OTHER_OWNER }));
    }
    let added = 0;
    const seen = await allPages(store, 5, async () => {
      // Another process submits for the same key between pages: new jobs go to the front.
      for (let i = 0; i < 3; i++, added++) await other.insertJob(newJob({ createdAt: T0 + 100 + added }));
    });
    assert.deepEqual(seen, [...first].reverse(), 'exactly the jobs that existed when paging began, newest first');
    assert.equal(added, 12);
    const fresh = await allPages(store, 100);
    assert.equal(fresh.length, 23 + added, 'a fresh first page sees the new ones too');
    assert.equal(new Set(fresh).size, fresh.length);
    const seqs = (await store.listJobs({ ownerKeyId: OWNER, limit: 100 })).map((job) => job.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
  });

  test('listJobs filters by model, by any of several states and by creation time, and reads the records in full', async () => {
    const { store } = await ctx.fresh();
    const a = newJob({ modelId: 'm/a', createdAt: T0 });
    const b = newJob({ modelId: 'm/b', createdAt: T0 + 10 });
    const c = newJob({ modelId: 'm/a', createdAt: T0 + 20 });
    for (const job of [a, b, c]) await store.insertJob(job);
    await settleOne(store, a.id, T0 + 30);
    assert.equal(await store.cancelJob(b.id, OWNER, T0 + 40), 'cancelled');
    const ids = async (query: Partial<Parameters<Store['listJobs']>[0]>) => (await store.listJobs({ ownerKeyId: OWNER, limit: 10, ...query })).map((job) => job.id);
    assert.deepEqual(await ids({ modelId: 'm/a' }), [c.id, a.id]);
    assert.deepEqual(await ids({ modelId: 'm/none' }), []);
    assert.deepEqual(await ids({ states: ['succeeded', 'cancelled'] }), [b.id, a.id]);
    assert.deepEqual(await ids({ states: ['queued'] }), [c.id]);
    assert.deepEqual(await ids({ createdSince: T0 + 10 }), [c.id, b.id]);
    assert.deepEqual(await ids({ modelId: 'm/a', states: ['queued', 'succeeded'], createdSince: T0 + 1 }), [c.id]);
    const [done] = await store.listJobs({ ownerKeyId: OWNER, limit: 1, states: ['succeeded'] });
    assert.equal(done?.state, 'succeeded');
    assert.deepEqual(done?.outputs, [image(a.id)]);
    assert.equal(done?.finishedAt, T0 + 31);
    assert.equal(done?.createdAt, T0);
    assert.equal(done?.modelId, 'm/a');
  });

  test('tombstoneJob: only a finished job, once; then absent from every read by id and from the history, still counted in usage', async () => {
    const { store } = await ctx.fresh();
    const done = newJob();
    const queued = newJob();
    await store.insertJob(done);
    await store.insertJob(queued);
    await settleOne(store, done.id, T0);
    assert.equal(await store.tombstoneJob(queued.id, OWNER, T0 + 5), false, 'a queued job is cancelled first');
    assert.equal(await store.tombstoneJob(done.id, OTHER_OWNER, T0 + 5), false, 'another key’s');
    const usageBefore = await store.usage({ ownerKeyId: OWNER, from: T0 - 1, to: T0 + 100 });
    assert.equal(await store.tombstoneJob(done.id, OWNER, T0 + 5), true);
    assert.equal(await store.tombstoneJob(done.id, OWNER, T0 + 6), false, 'once');
    assert.equal(await store.getJob(done.id, OWNER), undefined);
    assert.equal(await store.cancelJob(done.id, OWNER, T0 + 7), 'not_found');
    assert.deepEqual((await store.listJobs({ ownerKeyId: OWNER, limit: 10 })).map((job) => job.id), [queued.id]);
    assert.deepEqual(await store.usage({ ownerKeyId: OWNER, from: T0 - 1, to: T0 + 100 }), usageBefore, 'what it cost stays accounted');
    // Housekeeping still knows the row (so the orphan reaper may clear leftovers), with no outputs.
    assert.deepEqual(await store.getJobAttemptState(done.id), { state: 'succeeded', attempt: 1, outputs: null });
    assert.deepEqual(await store.listFinishedBefore(T0 + 1_000, 10), [], 'and retention never picks it again');
  });

  test('listFinishedBefore: finished, undeleted jobs of every key, oldest first, bounded', async () => {
    const { store } = await ctx.fresh();
    const a = newJob();
    const b = newJob({ ownerKeyId: OTHER_OWNER, input: { n: 2 } });
    const c = newJob();
    const running = newJob();
    for (const job of [a, b, c, running]) await store.insertJob(job);
    await settleOne(store, a.id, T0 + 100);
    const claimedB = await store.claimNext('w', LEASE, T0 + 200);
    assert.equal(await store.fail(b.id, claimedB!.attempt, { type: 'engine_error', message: 'x' }, T0 + 50), true);
    assert.equal(await store.cancelJob(c.id, OWNER, T0 + 300), 'cancelled');
    await store.claimNext('w', LEASE, T0 + 400);
    const found = await store.listFinishedBefore(T0 + 101, 10);
    assert.deepEqual(found.map((job) => job.id), [b.id, a.id]);
    assert.deepEqual(found[0], { id: b.id, ownerKeyId: OTHER_OWNER, outputs: null, input: { n: 2 } });
    assert.deepEqual(found[1]?.outputs, [image(a.id)]);
    assert.deepEqual((await store.listFinishedBefore(T0 + 10_000, 2)).map((job) => job.id), [b.id, a.id]);
    assert.deepEqual((await store.listFinishedBefore(T0 + 10_000, 10)).map((job) => job.id), [b.id, a.id, c.id], 'the running job is not finished');
  });

  test('onJobSettled: a complete, a fail and a cancel wake that job’s listeners (in another instance too where the store says so)', async () => {
    const { store, another } = await ctx.fresh();
    const other = await another();
    const jobs = [newJob(), newJob(), newJob()];
    for (const job of jobs) await store.insertJob(job);
    const heard = (on: Store, id: string) => new Promise<void>((resolve) => {
      const off = on.onJobSettled(id, () => {
        off();
        resolve();
      });
    });
    let strayCalls = 0;
    const offStray = store.onJobSettled('no-such-job', () => strayCalls++);
    const waits = [heard(store, jobs[0]!.id), heard(store, jobs[1]!.id), heard(store, jobs[2]!.id)];
    const remote = store.capabilities.crossProcessSettleWakeups ? jobs.map((job) => heard(other, job.id)) : [];
    await settleOne(store, jobs[0]!.id, T0);
    const claimed = await store.claimNext('w', LEASE, T0 + 10);
    assert.equal(await store.fail(jobs[1]!.id, claimed!.attempt, { type: 'engine_error', message: 'x' }, T0 + 11), true);
    assert.equal(await store.cancelJob(jobs[2]!.id, OWNER, T0 + 12), 'cancelled');
    await withTimeout(Promise.all(waits), 2_000, 'local settle wake-ups');
    await withTimeout(Promise.all(remote), 5_000, 'settle wake-ups in another instance');
    offStray();
    assert.equal(strayCalls, 0, 'a settle wakes only its own job’s listeners');
  });

  test('onJobSettled: a job failed by the sweeper or by a retry past its budget wakes its listeners; a requeue does not', async () => {
    const { store } = await ctx.fresh();
    const swept = newJob({ maxAttempts: 1 });
    const retried = newJob({ maxAttempts: 2 });
    await store.insertJob(swept);
    await store.insertJob(retried);
    const calls = new Map<string, number>();
    for (const job of [swept, retried]) store.onJobSettled(job.id, () => calls.set(job.id, (calls.get(job.id) ?? 0) + 1));
    await store.claimNext('w', LEASE, T0);
    assert.deepEqual((await store.sweepExpiredLeases(T0 + LEASE + 1)).failed, [swept.id]);
    const first = await store.claimNext('w', LEASE, T0 + 2 * LEASE);
    assert.equal(first?.id, retried.id);
    assert.equal(await store.retry(retried.id, first.attempt, { type: 'gpu_lost', message: 'x' }, T0 + 2 * LEASE + 1), 'requeued');
    assert.equal(calls.get(retried.id), undefined, 'requeued: not settled');
    const second = await store.claimNext('w', LEASE, T0 + 3 * LEASE);
    assert.equal(await store.retry(retried.id, second!.attempt, { type: 'gpu_lost', message: 'x' }, T0 + 3 * LEASE + 1), 'failed');
    await withTimeout((async () => {
      while ((calls.get(swept.id) ?? 0) < 1 || (calls.get(retried.id) ?? 0) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    })(), 2_000, 'settle wake-ups of the sweep and the retry');
  });
}
