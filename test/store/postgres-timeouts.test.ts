/**
 * Every wait on PostgreSQL is bounded (postgres-connection.ts, timeouts): a database that stops
 * answering without closing anything (a partition, a dead host: the TCP relay of
 * support/tcp-partition.ts), one that holds a lock, and one that accepts connections and never
 * answers give the request a storage error within the limit, and the store works again as soon
 * as the database does.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { connectionConfig } from '../../src/store/postgres/postgres-connection.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { isStorageFault, isStoreUnreachable } from '../../src/store/storage-fault.ts';
import pg from 'pg';
import { createHarness, MODELS } from '../support/harness.ts';
import { PostgresSchemas, reachable, TEST_DATABASE_URL, withAdmin } from '../support/postgres-schemas.ts';
import { startTcpPartition, type TcpPartition } from '../support/tcp-partition.ts';
import { newJob, OWNER } from './suite/support.ts';

const LIMIT_MS = 1_000;
/** The client's own limit is the server's plus 2 s (CLIENT_GRACE_MS); what a test allows on top for a loaded machine. */
const CLIENT_LIMIT_MS = LIMIT_MS + 2_000;
const SLACK_MS = 2_000;

const schemas = new PostgresSchemas();
after(() => schemas.dropAll());

/** TEST_DATABASE_URL with its host and port replaced by the relay's. */
function through(relay: TcpPartition): string {
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(relay.port);
  return url.href;
}

async function elapsed(run: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await run();
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

if (reachable !== true) {
  test(`PostgreSQL time limits (skipped: cannot connect to ${TEST_DATABASE_URL}: ${reachable})`, { skip: true }, () => {});
} else {
  // Without the limits these tests would wait forever: the timeout makes that a failure.
  describe('PostgreSQL time limits', { timeout: 60_000 }, () => {
    const target = new URL(TEST_DATABASE_URL);
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    });
    const relay = async () => {
      const opened = await startTcpPartition({ host: target.hostname, port: Number(target.port || 5432) });
      cleanups.push(() => opened.close());
      return opened;
    };

    test('the connections carry the limit; migrations run without one', async () => {
      for (const [role, expected] of [['pool', '1s'], ['claims', '1s'], ['migrate', '0']] as const) {
        const client = new pg.Client(connectionConfig({ url: TEST_DATABASE_URL, timeoutMs: LIMIT_MS }, role));
        await client.connect();
        try {
          assert.equal((await client.query('SHOW statement_timeout')).rows[0].statement_timeout, expected, role);
          assert.equal((await client.query('SHOW idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout, expected, role);
        } finally {
          await client.end();
        }
      }
    });

    test('a database that stops answering: reads and writes fail within the limit as unreachable, and work again once it answers', async () => {
      const cut = await relay();
      const store = await schemas.open('partition', through(cut), { timeoutMs: LIMIT_MS });
      cleanups.push(() => store.close());
      const job = newJob();
      await store.insertJob(job);
      assert.equal((await store.getJobStatus(job.id, OWNER))?.state, 'queued');

      cut.cut();
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ['status poll', () => store.getJobStatus(job.id, OWNER)],
        ['submit', () => store.insertJob(newJob())],
        ['cancel', () => store.cancelJob(job.id, OWNER, Date.now())],
      ];
      for (const [what, run] of attempts) {
        const { ms, error } = await elapsed(run);
        assert.ok(error !== undefined, `${what} did not fail while the database was cut off`);
        assert.ok(isStoreUnreachable(error), `${what}: ${(error as Error).message} is a reachability error (the API's 503002)`);
        assert.ok(ms <= CLIENT_LIMIT_MS + SLACK_MS, `${what} failed after ${Math.round(ms)} ms, limit ${CLIENT_LIMIT_MS} ms`);
      }

      cut.heal();
      // The connections that timed out were dropped, not handed out again behind a stuck statement.
      const { ms, error } = await elapsed(() => store.getJobStatus(job.id, OWNER));
      assert.equal(error, undefined, `after the cut healed: ${(error as Error | undefined)?.message}`);
      assert.ok(ms < LIMIT_MS, `the first read after the cut took ${Math.round(ms)} ms`);
      assert.equal((await store.cancelJob(job.id, OWNER, Date.now())), 'cancelled');
    });

    test('a transaction whose connection stopped answering closes that connection instead of pooling it again', async () => {
      const cut = await relay();
      const schema = schemas.schemaFor('dropped');
      const store = await PostgresStore.open({ url: through(cut), schema, poolSize: 1, timeoutMs: LIMIT_MS });
      cleanups.push(() => withAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)));
      cleanups.push(() => store.close());
      const claim = (key: string) => ({ key, requestHash: 'h', now: Date.now(), expiresAt: Date.now() + 60_000 });
      assert.equal((await store.insertJobOnce(newJob(), claim('before'))).outcome, 'created');
      const before = await poolPids(schema);
      assert.equal(before.length, 1);

      cut.cut();
      const { ms, error } = await elapsed(() => store.insertJobOnce(newJob(), claim('during')));
      assert.ok(isStoreUnreachable(error), `${(error as Error | undefined)?.message}`);
      assert.ok(ms <= CLIENT_LIMIT_MS + SLACK_MS, `failed after ${Math.round(ms)} ms`);
      cut.heal();

      assert.equal((await store.insertJobOnce(newJob(), claim('after'))).outcome, 'created');
      const after = await poolPids(schema);
      assert.ok(!after.includes(before[0]!), `the connection that timed out (backend ${before[0]}) was closed, not reused: now ${JSON.stringify(after)}`);
    });

    test('a statement waiting on a lock is cancelled by the server at the limit (57014, a storage fault), and the next one runs', async () => {
      const name = 'locked';
      const store = await schemas.open(name, TEST_DATABASE_URL, { timeoutMs: LIMIT_MS });
      cleanups.push(() => store.close());
      const job = newJob();
      await store.insertJob(job);

      const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await holder.connect();
      cleanups.push(() => holder.end());
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${schemas.schemaFor(name)}.jobs IN ACCESS EXCLUSIVE MODE`);
      const { ms, error } = await elapsed(() => store.getJob(job.id, OWNER));
      await holder.query('ROLLBACK');

      assert.equal((error as { code?: string } | undefined)?.code, '57014', `${(error as Error | undefined)?.message}`);
      assert.ok(isStorageFault(error) && isStoreUnreachable(error));
      assert.ok(ms >= LIMIT_MS - 50 && ms <= LIMIT_MS + SLACK_MS, `cancelled after ${Math.round(ms)} ms, limit ${LIMIT_MS} ms`);
      assert.equal((await store.getJob(job.id, OWNER))?.state, 'queued');
    });

    test('a database that accepts connections and never answers: opening the store fails within the connect limit', async () => {
      const silent = await relay();
      silent.cut();
      const { ms, error } = await elapsed(() => PostgresStore.open({ url: through(silent), schema: schemas.schemaFor('silent'), timeoutMs: LIMIT_MS }));
      assert.ok(error !== undefined, 'the store opened on a database that never answered');
      assert.ok(isStoreUnreachable(error), (error as Error).message);
      assert.ok(ms <= LIMIT_MS + SLACK_MS, `failed after ${Math.round(ms)} ms, connect limit ${LIMIT_MS} ms`);
    });

    test('the API answers 503002 with Retry-After while the database is cut off, and 200 again once it answers', async () => {
      const cut = await relay();
      const h = await createHarness({ store: await schemas.open('api_partition', through(cut), { timeoutMs: LIMIT_MS }) });
      cleanups.push(() => h.close());
      const submitted = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: { prompt: 'before the cut' } });
      assert.equal(submitted.statusCode, 200, submitted.body);
      const statusUrl = `/v1/requests/${submitted.json().request_id}/status`;

      cut.cut();
      const started = performance.now();
      const during = await h.app.inject({ method: 'GET', url: statusUrl, headers: h.auth });
      const ms = performance.now() - started;
      assert.equal(during.statusCode, 503, during.body);
      assert.equal(during.json().error_code, 503002);
      assert.ok(Number(during.headers['retry-after']) > 0);
      // The key lookup (cached for 1 s) or the status read, whichever meets the cut first, waits its limit once.
      assert.ok(ms <= 2 * CLIENT_LIMIT_MS + SLACK_MS, `answered after ${Math.round(ms)} ms`);
      const refused = await h.app.inject({ method: 'POST', url: `/v1/models/${MODELS.dreamina}`, headers: { ...h.auth, 'content-type': 'application/json' }, payload: { prompt: 'during the cut' } });
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().error_code, 503002, 'a submit that could not be saved is not acknowledged');

      cut.heal();
      const healed = await h.app.inject({ method: 'GET', url: statusUrl, headers: h.auth });
      assert.equal(healed.statusCode, 200, healed.body);
      assert.equal(healed.json().status, 'in_queue');
    });
  });
}

/** Backend pids of a store's pool connections (named modelgate-pool-<schema>). */
async function poolPids(schema: string): Promise<number[]> {
  return withAdmin(async (admin) => (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`modelgate-pool-${schema}`])).rows.map((row) => row.pid));
}
