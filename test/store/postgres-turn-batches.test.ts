/**
 * PostgreSQL group-commits the worker's claims and completes per event-loop turn
 * (store/turn-batcher.ts): the calls of one turn are one statement, so their rows carry one
 * transaction id (xmin), and each caller still gets its own answer, fenced as if alone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Client } from 'pg';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { PostgresSchemas, reachable, TEST_DATABASE_URL } from '../support/postgres-schemas.ts';

const schemas = new PostgresSchemas();
after(() => schemas.dropAll());
const skip = reachable === true ? false : `PostgreSQL unreachable: ${reachable}`;

async function withStore(name: string, run: (store: PostgresStore, db: Client) => Promise<void>): Promise<void> {
  const store = await schemas.open(name);
  const db = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schemas.schemaFor(name)}` });
  await db.connect();
  try {
    await run(store, db);
  } finally {
    await db.end();
    await store.close();
  }
}

async function queue(store: PostgresStore, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  // Awaited one by one, so the seqs follow the array.
  for (const id of ids) await store.insertJob({ id, ownerKeyId: 'owner', modelId: 'test/model', input: {}, maxAttempts: 3, createdAt: 1 });
  return ids;
}

async function xminsOf(db: Client, ids: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ xmin: string }>('SELECT xmin::text AS xmin FROM jobs WHERE id = ANY($1)', [ids]);
  assert.equal(rows.length, ids.length);
  return new Set(rows.map((row) => row.xmin));
}

test('claims made in one turn are one statement: the n-th oldest job to the n-th caller, none twice, the rest answered empty', { skip }, async () => {
  await withStore('claim_batch', async (store, db) => {
    const ids = await queue(store, 5);
    const claims = await Promise.all(Array.from({ length: 7 }, (_, slot) => store.claimNext(`worker/${slot}`, 60_000, 10)));
    assert.deepEqual(claims.map((job) => job?.id), [...ids, undefined, undefined]);
    assert.ok(claims.slice(0, 5).every((job) => job?.attempt === 1));
    assert.equal((await xminsOf(db, ids)).size, 1, 'one transaction claimed all five');
    const { rows } = await db.query<{ id: string; worker_id: string; state: string }>('SELECT id, worker_id, state FROM jobs ORDER BY seq');
    assert.deepEqual(rows.map((row) => [row.state, row.worker_id]), ids.map((_, slot) => ['running', `worker/${slot}`]));
  });
});

test('completes in one turn are one statement, and each caller is told its own outcome: a stale attempt among them settles nothing', { skip }, async () => {
  await withStore('complete_batch', async (store, db) => {
    const ids = await queue(store, 3);
    const [a, b, c] = await Promise.all(ids.map((_, slot) => store.claimNext(`worker/${slot}`, 60_000, 10)));
    const usage = { outputs: 0, seconds: 1.5, costUsd: 0.25 };
    const settled = await Promise.all([
      store.complete(a!.id, a!.attempt, [], 20, usage),
      store.complete(b!.id, b!.attempt + 1, [], 20, usage),
      store.complete(c!.id, c!.attempt, [], 20, usage),
    ]);
    assert.deepEqual(settled, [true, false, true]);
    assert.equal((await xminsOf(db, [a!.id, c!.id])).size, 1, 'one transaction settled both');
    const { rows } = await db.query<{ id: string; state: string; output_ms: string; cost_microusd: string }>(
      'SELECT id, state, output_ms::text, cost_microusd::text FROM jobs ORDER BY seq');
    assert.deepEqual(rows.map((row) => [row.state, row.output_ms, row.cost_microusd]), [['succeeded', '1500', '250000'], ['running', '0', '0'], ['succeeded', '1500', '250000']]);
    // The fenced-out attempt's job still settles for the attempt that holds it.
    assert.equal(await store.complete(b!.id, b!.attempt, [], 30), true);
  });
});

test('a batch the server rejects is written item by item: the bad settle fails alone, its neighbours settle', { skip }, async () => {
  await withStore('batch_split', async (store) => {
    const ids = await queue(store, 3);
    const jobs = await Promise.all(ids.map((_, slot) => store.claimNext(`worker/${slot}`, 60_000, 10)));
    // 1e20 seconds is past a bigint of milliseconds: PostgreSQL rejects the whole statement.
    const outcomes = await Promise.allSettled(jobs.map((job, index) =>
      store.complete(job!.id, job!.attempt, [], 20, { outputs: 0, seconds: index === 1 ? 1e20 : 1, costUsd: 0 })));
    assert.equal(outcomes[0]!.status, 'fulfilled');
    assert.equal((outcomes[0] as PromiseFulfilledResult<boolean>).value, true);
    assert.equal(outcomes[1]!.status, 'rejected');
    assert.equal((outcomes[2] as PromiseFulfilledResult<boolean>).value, true);
    assert.equal((await store.getJobAttemptState(ids[1]!))?.state, 'running');
  });
});

test('a stale attempt and the current one of the same job settling in one turn are each told their own outcome', { skip }, async () => {
  await withStore('same_job_batch', async (store) => {
    const [id] = await queue(store, 1);
    const stale = await store.claimNext('worker/0', 1, 10);
    assert.deepEqual(await store.sweepExpiredLeases(100), { requeued: [id], failed: [] });
    const current = await store.claimNext('worker/1', 60_000, 100);
    assert.equal(current?.attempt, stale!.attempt + 1);
    const settled = await Promise.all([store.complete(id!, current!.attempt, [], 110), store.complete(id!, stale!.attempt, [], 110)]);
    assert.deepEqual(settled, [true, false]);
  });
});
