/** Per-key quotas in the claim, the per-model load count for /metrics, and shared rate windows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiKeyRecord, Store } from '../../../src/store/store.ts';
import { insertInOrder, OTHER_OWNER, OWNER, T0, type SuiteContext } from './support.ts';

const LEASE = 60_000;

function quotaKey(id: string, maxRunning: number | null): ApiKeyRecord {
  return { id, name: id, prefix: 'mg_test', hash: id.padEnd(64, '0'), createdAt: T0, revokedAt: null, maxRunning };
}

async function runningOf(stores: Store[], ids: string[], owner: string): Promise<number> {
  const states = await Promise.all(ids.map(async (id) => (await stores[0]!.getJob(id, owner))?.state));
  return states.filter((state) => state === 'running').length;
}

export function limitTests(ctx: SuiteContext): void {
  test('maxRunningPerKey: a key at its quota is skipped, other keys run meanwhile, and it resumes when a job settles', async () => {
    const { store } = await ctx.fresh();
    const mine = await insertInOrder(store, 3);
    const theirs = await insertInOrder(store, 1, { ownerKeyId: OTHER_OWNER });
    const limits = { maxRunningPerKey: 1 };

    assert.equal((await store.claimNext('w', LEASE, T0, limits))?.id, mine[0]!.id);
    assert.equal((await store.claimNext('w', LEASE, T0, limits))?.id, theirs[0]!.id, 'the next of my jobs is skipped, not waited on');
    assert.equal(await store.claimNext('w', LEASE, T0, limits), undefined, 'both keys are at their quota');
    assert.equal((await store.claimNext('w', LEASE, T0))?.id, mine[1]!.id, 'without limits the claim ignores the quota');

    await store.complete(mine[0]!.id, 1, [], T0);
    await store.complete(mine[1]!.id, 1, [], T0);
    assert.equal((await store.claimNext('w', LEASE, T0, limits))?.id, mine[2]!.id, 'a settled job frees the slot');
    assert.equal((await store.claimNext('w', LEASE, T0, { maxRunningPerKey: 0 })), undefined, '0 is unlimited: the queue is simply empty');
  });

  test('maxRunningPerKey holds under concurrent claims from two store instances', async () => {
    const { store, another } = await ctx.fresh();
    const second = await another();
    const jobs = await insertInOrder(store, 12);
    const others = await insertInOrder(store, 2, { ownerKeyId: OTHER_OWNER });
    const limits = { maxRunningPerKey: 3 };
    const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : second).claimNext(`w${i}`, LEASE, T0, limits)));
    const claimed = claims.filter((job) => job !== undefined);
    assert.equal(claimed.filter((job) => job.ownerKeyId === OWNER).length, 3, 'exactly the quota of my jobs was claimed');
    assert.equal(claimed.filter((job) => job.ownerKeyId === OTHER_OWNER).length, 2, "the other key's jobs ran meanwhile");
    assert.equal(await runningOf([store], jobs.map((job) => job.id), OWNER), 3);
    assert.equal(await runningOf([store], others.map((job) => job.id), OTHER_OWNER), 2);
  });

  test("a key's own max_running: applies with no install quota, 0 lifts the install's, null follows it again", async () => {
    const { store } = await ctx.fresh();
    await store.insertApiKey(quotaKey(OWNER, 1));
    await store.insertApiKey(quotaKey(OTHER_OWNER, null));
    const mine = await insertInOrder(store, 3);
    const theirs = await insertInOrder(store, 2, { ownerKeyId: OTHER_OWNER });

    assert.equal((await store.claimNext('w', LEASE, T0))?.id, mine[0]!.id);
    assert.equal((await store.claimNext('w', LEASE, T0))?.id, theirs[0]!.id, 'my key is at its own quota with no install quota set');
    assert.equal((await store.claimNext('w', LEASE, T0, { maxRunningPerKey: 1 })), undefined, 'the other key follows the install quota');

    assert.equal(await store.setApiKeyMaxRunning(OWNER, 0), true);
    assert.equal((await store.claimNext('w', LEASE, T0, { maxRunningPerKey: 1 }))?.id, mine[1]!.id, "0 lifts the install's quota for my key");
    assert.equal(await store.setApiKeyMaxRunning(OWNER, null), true);
    assert.equal((await store.claimNext('w', LEASE, T0, { maxRunningPerKey: 3 }))?.id, mine[2]!.id, 'null follows the install quota (3) again');
    assert.equal(await store.setApiKeyMaxRunning('no-such-key', 2), false);
    assert.equal((await store.listApiKeys()).find((key) => key.id === OWNER)?.maxRunning, null);
  });

  test("a key's own max_running holds under concurrent claims from two store instances", async () => {
    const { store, another } = await ctx.fresh();
    const second = await another();
    await store.insertApiKey(quotaKey(OWNER, 3));
    const jobs = await insertInOrder(store, 12);
    const others = await insertInOrder(store, 2, { ownerKeyId: OTHER_OWNER });
    const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : second).claimNext(`w${i}`, LEASE, T0)));
    const claimed = claims.filter((job) => job !== undefined);
    assert.equal(claimed.filter((job) => job.ownerKeyId === OWNER).length, 3, 'exactly the quota of my jobs was handed out');
    assert.equal(await runningOf([store], jobs.map((job) => job.id), OWNER), 3, 'and exactly that many are running');
    assert.equal(await runningOf([store], others.map((job) => job.id), OTHER_OWNER), 2, "the other key's jobs ran meanwhile");
  });

  test('loadByModel: queued and running jobs per model, finished ones left out', async () => {
    const { store } = await ctx.fresh();
    assert.deepEqual(await store.loadByModel(), []);
    await insertInOrder(store, 3, { modelId: 'm/a' });
    const [b] = await insertInOrder(store, 2, { modelId: 'm/b' });
    await store.claimNext('w', LEASE, T0); // m/a's first
    await store.claimNext('w', LEASE, T0); // m/a's second
    assert.equal(await store.cancelJob(b!.id, OWNER, T0), 'cancelled');
    assert.deepEqual(await store.loadByModel(), [
      { modelId: 'm/a', queued: 1, running: 2 },
      { modelId: 'm/b', queued: 1, running: 0 },
    ]);
  });

  test('hitRateWindow counts every hit once across instances; windows and keys are apart; prune drops ended ones', async () => {
    const { store, another } = await ctx.fresh();
    const hit = store.hitRateWindow.bind(store);
    const second = await another();
    const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? hit : second.hitRateWindow.bind(second))('key_a', T0)));
    assert.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1), 'no hit lost or counted twice');
    assert.equal(await hit('key_b', T0), 1, 'another key has its own count');
    assert.equal(await hit('key_a', T0 + 60_000), 1, 'the next window starts from one');
    assert.equal(await store.pruneRateWindows(T0 + 60_000), 2, 'the two windows that started before are gone');
    assert.equal(await hit('key_a', T0 + 60_000), 2, 'the current window is kept');
  });
}
