/**
 * Heartbeats and progress writes are HOT updates in PostgreSQL (migration 0008): they change no
 * column any index names, so they write no index entries. Counted with the per-transaction
 * statistics of one connection, which are exact (the cumulative views lag by up to a second).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Client } from 'pg';
import { SQL } from '../../src/store/postgres/postgres-statements.ts';
import { PostgresSchemas, reachable, TEST_DATABASE_URL } from '../support/postgres-schemas.ts';

const schemas = new PostgresSchemas();
after(() => schemas.dropAll());

test('heartbeats and progress writes of a running job are HOT updates', { skip: reachable === true ? false : `PostgreSQL unreachable: ${reachable}` }, async () => {
  const store = await schemas.open('hot');
  const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schemas.schemaFor('hot')}` });
  await client.connect();
  try {
    const id = randomUUID();
    await store.insertJob({ id, ownerKeyId: 'owner', modelId: 'test/model', input: {}, maxAttempts: 3, createdAt: 1 });
    const job = await store.claimNext('worker', 60_000, 1);
    assert.equal(job?.id, id);

    await client.query('BEGIN');
    for (let i = 0; i < 5; i++) {
      assert.equal((await client.query(SQL.heartbeat.text, [id, job.attempt, 100_000 + i])).rowCount, 1);
      assert.equal((await client.query(SQL.reportProgress.text, [id, job.attempt, i / 10])).rowCount, 1);
    }
    const { rows } = await client.query(`SELECT pg_stat_get_xact_tuples_updated('jobs'::regclass) AS updated,
      pg_stat_get_xact_tuples_hot_updated('jobs'::regclass) AS hot`);
    await client.query('COMMIT');
    assert.deepEqual({ updated: Number(rows[0].updated), hot: Number(rows[0].hot) }, { updated: 10, hot: 10 });
  } finally {
    await client.end();
    await store.close();
  }
});
