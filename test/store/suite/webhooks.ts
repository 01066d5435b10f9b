/**
 * Webhook deliveries: made by the trigger on jobs in the transaction of the change they report,
 * claimed like jobs (lease, fence, one claimer per delivery), and the settings row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobWebhook, Store } from '../../../src/store/store.ts';
import { newJob, OWNER, T0, type SuiteContext } from './support.ts';

const HOOK: JobWebhook = { url: 'https://hooks.example/in', events: ['completed'] };
const LEASE = 60_000;

async function drain(store: Store, now = T0): Promise<string[]> {
  const seen: string[] = [];
  for (let d = await store.claimWebhookDelivery(LEASE, now); d; d = await store.claimWebhookDelivery(LEASE, now)) seen.push(d.event);
  return seen;
}

export function webhookTests(ctx: SuiteContext): void {
  test('webhooks: a job without one makes no delivery and shows no webhook state', async () => {
    const { store } = await ctx.fresh();
    const job = newJob();
    await store.insertJob(job);
    await store.claimNext('w', 1000, T0);
    await store.reportProgress(job.id, 1, 0.5);
    assert.equal(await store.complete(job.id, 1, [], T0 + 10), true);
    assert.equal(await store.claimWebhookDelivery(LEASE, T0 + 20), undefined);
    assert.equal(await store.getWebhookState(job.id), undefined);
  });

  test('webhooks: the settle makes the completed delivery; claims are fenced and leased; a retry waits for its time', async () => {
    const { store } = await ctx.fresh();
    const job = newJob({ webhook: HOOK });
    await store.insertJob(job);
    assert.deepEqual(await store.getWebhookState(job.id), { state: 'pending', attempts: 0 }, 'asked for, nothing to send yet');
    assert.equal((await store.claimNext('w', 1000, T0))?.id, job.id);
    assert.equal(await store.claimWebhookDelivery(LEASE, T0), undefined, 'no start event was asked for');
    assert.equal(await store.complete(job.id, 1, [], T0 + 10), true);

    const first = await store.claimWebhookDelivery(LEASE, T0 + 20);
    assert.ok(first);
    assert.deepEqual({ ...first, id: undefined }, { id: undefined, jobId: job.id, ownerKeyId: OWNER, event: 'completed', url: HOOK.url, attempts: 1, firstAttemptAt: T0 + 20, createdAt: T0 + 10 });
    assert.deepEqual(await store.getWebhookState(job.id), { state: 'delivering', attempts: 1 });
    assert.equal(await store.claimWebhookDelivery(LEASE, T0 + 20), undefined, 'leased to the first claimer');

    assert.equal(await store.settleWebhookDelivery(first.id, 1, { state: 'delivering', now: T0 + 30, nextAt: T0 + 5_000, status: 500, error: 'HTTP 500' }), true);
    assert.equal(await store.claimWebhookDelivery(LEASE, T0 + 4_999), undefined, 'the retry is not due yet');
    const second = await store.claimWebhookDelivery(LEASE, T0 + 5_000);
    assert.equal(second?.id, first.id);
    assert.equal(second?.attempts, 2);
    assert.equal(second?.firstAttemptAt, T0 + 20, 'the horizon counts from the first attempt');
    assert.equal(await store.settleWebhookDelivery(first.id, 1, { state: 'delivered', now: T0 + 5_001, status: 200 }), false, 'a stale attempt records nothing');

    // The second attempt's lease runs out (its process died): the delivery is claimed again.
    const third = await store.claimWebhookDelivery(LEASE, T0 + 5_000 + LEASE);
    assert.equal(third?.attempts, 3);
    assert.equal(await store.settleWebhookDelivery(first.id, 3, { state: 'delivered', now: T0 + 70_000, status: 204 }), true);
    assert.deepEqual(await store.getWebhookState(job.id), { state: 'delivered', attempts: 3 });
    assert.equal(await store.claimWebhookDelivery(LEASE, T0 + 10 * LEASE), undefined, 'a delivered one is never claimed again');
  });

  test('webhooks: start once, progress coalesced to one pending delivery, failed and cancelled jobs report completed', async () => {
    const { store } = await ctx.fresh();
    const all: JobWebhook = { url: HOOK.url, events: ['completed', 'start', 'progress'] };
    const job = newJob({ webhook: all });
    await store.insertJob(job);
    await store.claimNext('w', 1000, T0);
    await store.reportProgress(job.id, 1, 0.25);
    await store.reportProgress(job.id, 1, 0.5);
    await store.reportProgress(job.id, 1, 0.75);
    assert.deepEqual(await drain(store), ['start', 'progress'], 'three progress writes, one pending delivery');
    // A lost lease and a second claim: not a second start.
    await store.sweepExpiredLeases(T0 + 2000);
    await store.claimNext('w', 1000, T0 + 3000);
    await store.fail(job.id, 2, { type: 'x', message: 'y' }, T0 + 4000);
    assert.deepEqual(await drain(store), ['completed']);

    const cancelled = newJob({ webhook: HOOK });
    await store.insertJob(cancelled);
    assert.equal(await store.cancelJob(cancelled.id, OWNER, T0), 'cancelled');
    assert.deepEqual(await drain(store), ['completed']);
    const onlyStart = newJob({ webhook: { url: HOOK.url, events: ['start'] } });
    await store.insertJob(onlyStart);
    assert.equal(await store.getWebhookState(onlyStart.id), undefined, 'no completed event asked for: no state to show');
  });

  test('webhooks: the webhook survives an idempotent insert, and two instances never claim one delivery twice', async () => {
    const { store, another } = await ctx.fresh();
    const second = await another();
    const jobs = [newJob({ webhook: HOOK }), newJob({ webhook: HOOK }), newJob({ webhook: HOOK })];
    assert.equal((await store.insertJobOnce(jobs[0]!, { key: 'k', requestHash: 'h', now: T0, expiresAt: T0 + 1000 })).outcome, 'created');
    await Promise.all(jobs.slice(1).map((job) => store.insertJob(job)));
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await store.claimNext('w', 1000, T0);
      assert.ok(claimed);
      await store.complete(claimed.id, 1, [], T0 + 1);
    }
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? second : store).claimWebhookDelivery(LEASE, T0 + 2)));
    const ids = claims.filter((c) => c !== undefined).map((c) => c.jobId);
    assert.deepEqual(ids.sort(), jobs.map((j) => j.id).sort());
  });

  test('webhooks: where the store wakes across processes, a delivery made by another instance wakes onWebhookDue', async (t) => {
    const { store, another } = await ctx.fresh();
    if (!store.capabilities.crossProcessWakeups) return t.skip('this backend does not wake other processes; its loops poll');
    const loop = await another();
    const job = newJob({ webhook: HOOK });
    await store.insertJob(job);
    await store.claimNext('w', 1000, T0);
    const woken = new Promise<void>((resolve) => {
      const off = loop.onWebhookDue(() => {
        off();
        resolve();
      });
    });
    // The LISTEN connection opens with the first subscription; give it a moment to listen.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await store.complete(job.id, 1, [], T0 + 1);
    await Promise.race([woken, new Promise((_, reject) => setTimeout(() => reject(new Error('no wake-up within 3 s')), 3_000))]);
    assert.equal((await loop.claimWebhookDelivery(LEASE, T0 + 2))?.jobId, job.id, 'and the woken instance can claim it');
  });

  test('webhooks: settings are insert-if-absent, so two processes starting at once agree', async () => {
    const { store, another } = await ctx.fresh();
    const second = await another();
    const [a, b] = await Promise.all([store.ensureSetting('webhook_secret', 'first'), second.ensureSetting('webhook_secret', 'second')]);
    assert.equal(a, b);
    assert.equal(await store.ensureSetting('webhook_secret', 'third'), a);
  });
}
