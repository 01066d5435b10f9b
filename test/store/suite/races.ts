/**
 * Concurrency: several store instances (separate connections, as separate processes would
 * have) racing each other, and the wake-up signal. Each race test prints its figures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CancelOutcome, ClaimedJob, Store } from '../../../src/store/store.ts';
import { newJob, nextWakeUp, OWNER, sleep, T0, withTimeout, type SuiteContext } from './support.ts';

const INSTANCES = 4;
const LOOPS_PER_INSTANCE = 4;
const CLAIM_JOBS = 300;
const CANCEL_RACES = 200;

export function raceTests(ctx: SuiteContext): void {
  test(`${INSTANCES * LOOPS_PER_INSTANCE} concurrent claimers on ${INSTANCES} instances race for ${CLAIM_JOBS} jobs: each claimed exactly once`, async (t) => {
    const { store, another } = await ctx.fresh();
    const instances: Store[] = [store];
    while (instances.length < INSTANCES) instances.push(await another());
    const jobs = Array.from({ length: CLAIM_JOBS }, (_, i) => newJob({ input: { n: i } }));
    await Promise.all(jobs.map((job) => store.insertJob(job)));

    const claims: Array<{ job: ClaimedJob; workerId: string }> = [];
    const claimer = async (instance: Store, workerId: string) => {
      for (;;) {
        const job = await instance.claimNext(workerId, 60_000, T0);
        if (!job) return;
        claims.push({ job, workerId });
      }
    };
    await Promise.all(instances.flatMap((instance, i) => Array.from({ length: LOOPS_PER_INSTANCE }, (_, j) => claimer(instance, `w${i}.${j}`))));

    const perJob = new Map<string, number>();
    for (const { job } of claims) perJob.set(job.id, (perJob.get(job.id) ?? 0) + 1);
    const duplicates = [...perJob.values()].filter((count) => count > 1).length;
    const unclaimed = jobs.filter((job) => !perJob.has(job.id)).length;
    // Every claim here holds a lease that is still live (60 s, no sweeps): a job named by two
    // claims, or a stored holder other than the one claim that got it, would be two live leases.
    let holderMismatches = 0;
    for (const { job, workerId } of claims) {
      const record = await store.getJob(job.id, OWNER);
      if (record?.state !== 'running' || record.workerId !== workerId || record.attempt !== 1 || job.attempt !== 1) holderMismatches++;
    }
    const busiest = new Set(claims.map((claim) => claim.workerId)).size;
    t.diagnostic(`claimers=${INSTANCES * LOOPS_PER_INSTANCE} jobs=${CLAIM_JOBS} claims=${claims.length} duplicates=${duplicates} unclaimed=${unclaimed} two-live-leases=${holderMismatches} claimers-that-won=${busiest}`);
    assert.equal(duplicates, 0, 'no job may be claimed twice');
    assert.equal(unclaimed, 0, 'every job is claimed');
    assert.equal(claims.length, CLAIM_JOBS);
    assert.equal(holderMismatches, 0, 'each job is held by exactly the claimer that got it, at attempt 1');
  });

  test(`cancel racing claim, ${CANCEL_RACES} races: each job ends cancelled and never claimed, or claimed and not cancellable`, async (t) => {
    const { store, another } = await ctx.fresh();
    const canceller = store;
    const worker = await another();
    const outcomes = { cancelWon: 0, claimWon: 0, both: 0, neither: 0, wrongState: 0 };
    for (let race = 0; race < CANCEL_RACES; race++) {
      const job = newJob({ input: { race } });
      await canceller.insertJob(job);
      const now = T0 + race;
      const cancel = () => canceller.cancelJob(job.id, OWNER, now);
      const claim = () => worker.claimNext(`w${race}`, 60_000, now);
      // Alternate which side is sent first, and let a few races start the second one a turn
      // of the event loop late, so both orders of arrival are exercised.
      const late = <T>(run: () => Promise<T>) => (race % 5 === 0 ? new Promise<void>((resolve) => setImmediate(resolve)).then(run) : run());
      let cancelled: CancelOutcome;
      let claimed: ClaimedJob | undefined;
      if (race % 2 === 0) [cancelled, claimed] = await Promise.all([cancel(), late(claim)]);
      else [claimed, cancelled] = await Promise.all([claim(), late(cancel)]);
      const state = (await store.getJob(job.id, OWNER))?.state;
      const cancelWon = cancelled === 'cancelled';
      const claimWon = claimed?.id === job.id;
      if (claimed && claimed.id !== job.id) outcomes.wrongState++;
      if (cancelWon && claimWon) outcomes.both++;
      else if (!cancelWon && !claimWon) outcomes.neither++;
      else if (cancelWon) {
        outcomes.cancelWon++;
        if (state !== 'cancelled') outcomes.wrongState++;
      } else {
        outcomes.claimWon++;
        if (cancelled !== 'not_cancellable' || state !== 'running') outcomes.wrongState++;
      }
    }
    const leftover = await worker.claimNext('late', 60_000, T0 + CANCEL_RACES);
    t.diagnostic(`races=${CANCEL_RACES} cancel-won=${outcomes.cancelWon} claim-won=${outcomes.claimWon} both=${outcomes.both} neither=${outcomes.neither} inconsistent=${outcomes.wrongState}`);
    assert.equal(outcomes.both, 0, 'a job both cancelled and claimed');
    assert.equal(outcomes.neither, 0, 'a job neither cancelled nor claimed');
    assert.equal(outcomes.wrongState, 0, 'the stored state matches the winner');
    assert.equal(leftover, undefined, 'a cancelled job is never claimed later');
    assert.ok(outcomes.cancelWon > 0 && outcomes.claimWon > 0, 'both sides won some races, so both orders were exercised');
  });

  test('onJobAvailable fires after the insert committed, after a sweep requeue and after a release; unsubscribe stops it', async () => {
    const { store, another } = await ctx.fresh();
    const reader = await another();
    const job = newJob();
    const visibleAtWakeUp = nextWakeUp(store, async () => (await reader.getJob(job.id, OWNER))?.state);
    await store.insertJob(job);
    assert.equal(await withTimeout(visibleAtWakeUp, 2_000, 'the wake-up after insert'), 'queued', 'the job is committed when the listener runs');

    await store.claimNext('w', 1_000, T0);
    const afterSweep = nextWakeUp(store, async () => (await reader.getJob(job.id, OWNER))?.state);
    assert.deepEqual((await store.sweepExpiredLeases(T0 + 1_001)).requeued, [job.id]);
    assert.equal(await withTimeout(afterSweep, 2_000, 'the wake-up after a sweep requeue'), 'queued');

    await store.claimNext('w', 1_000, T0 + 2_000);
    const afterRelease = nextWakeUp(store, async () => (await reader.getJob(job.id, OWNER))?.state);
    assert.equal(await store.release(job.id, 2), true);
    assert.equal(await withTimeout(afterRelease, 2_000, 'the wake-up after a release'), 'queued');

    let calls = 0;
    const off = store.onJobAvailable(() => calls++);
    off();
    await store.insertJob(newJob());
    await sleep(100);
    assert.equal(calls, 0, 'an unsubscribed listener is not called');
  });
}
