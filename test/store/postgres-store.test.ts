/**
 * The Store suite against PostgreSQL, plus what only PostgreSQL promises: wake-ups across
 * processes and surviving dropped connections. Every database of the suite is a schema of its
 * own, named after this file's run, and all of them are dropped at the end.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { ApiError } from '../../src/errors.ts';
import { JobService } from '../../src/jobs/job-service.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { connectionConfig } from '../../src/store/postgres/postgres-connection.ts';
import { SQL } from '../../src/store/postgres/postgres-statements.ts';
import pg from 'pg';
import { PostgresSchemas, reachable, TEST_DATABASE_URL, withAdmin } from '../support/postgres-schemas.ts';
import { defineStoreSuite } from './store-suite.ts';
import { newJob, nextWakeUp, OWNER, T0, withTimeout } from './suite/support.ts';

const schemas = new PostgresSchemas();
const openStore = (database: string): Promise<PostgresStore> => schemas.open(database);
after(() => schemas.dropAll());

if (reachable !== true) {
  test(`PostgreSQL Store (skipped: cannot connect to ${TEST_DATABASE_URL}: ${reachable})`, { skip: true }, () => {});
} else {
  defineStoreSuite('PostgreSQL', openStore);

  describe('PostgreSQL only', () => {
    const opened: PostgresStore[] = [];
    const open = async (database: string) => {
      const store = await openStore(database);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    test("settings an operator puts in the URL's options are kept, and do not replace ModelGate's own", async () => {
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('options', '-c lock_timeout=4321 -c statement_timeout=99999 -c enable_bitmapscan=on -c search_path=elsewhere');
      const schema = schemas.schemaFor('url_options');
      const client = new pg.Client(connectionConfig({ url: url.href, schema }, 'claims'));
      await client.connect();
      try {
        const show = async (setting: string) => (await client.query(`SHOW ${setting}`)).rows[0][setting];
        assert.equal(await show('lock_timeout'), '4321ms', "the operator's own setting");
        assert.equal(await show('statement_timeout'), '30s', 'MODELGATE_DATABASE_TIMEOUT_MS (its default here) rules the time limit');
        assert.equal(await show('enable_bitmapscan'), 'off', 'ours wins where both set one (the claim plan depends on it)');
        assert.equal(await show('search_path'), schema);
        assert.equal(await show('synchronous_commit'), 'off', "the claim connection's own");
      } finally {
        await client.end();
      }
    });

    test('a Unix-socket URL in the libpq form with a user (postgres://user@/db?host=/dir) opens the store', async (t) => {
      const directory = await withAdmin(async (admin) => String((await admin.query('SHOW unix_socket_directories')).rows[0].unix_socket_directories).split(',')[0]!.trim());
      if (directory === '') return t.skip('this PostgreSQL listens on no Unix socket');
      const tcp = new URL(TEST_DATABASE_URL);
      // Not a URL to the WHATWG parser (a user and no host): the form the setting's check once refused.
      const socketUrl = `postgres://${tcp.username}@${tcp.pathname}?host=${encodeURIComponent(directory)}`;
      assert.equal(URL.canParse(socketUrl), false);
      const store = await schemas.open('unix_socket', socketUrl);
      opened.push(store);
      const job = newJob();
      await store.insertJob(job);
      assert.equal((await store.getJob(job.id, OWNER))?.state, 'queued');
      const peers = await withAdmin(async (admin) =>
        (await admin.query<{ addr: string | null }>('SELECT client_addr AS addr FROM pg_stat_activity WHERE application_name = $1', [`modelgate-pool-${schemas.schemaFor('unix_socket')}`])).rows,
      );
      assert.ok(peers.length > 0 && peers.every((peer) => peer.addr === null), `the pool's connections came over the socket (no client address): ${JSON.stringify(peers)}`);
    });

    test('capabilities: wake-ups cross processes', async () => {
      assert.equal((await open('caps')).capabilities.crossProcessWakeups, true);
    });

    test('a request id PostgreSQL cannot take as text (a NUL) is an unknown id, not a 500', async () => {
      const store = await open('nul_id');
      await assert.rejects(store.getJob('a\u0000b', OWNER), 'the store itself refuses a NUL: JobService must not ask it');
      const jobs = new JobService({ store } as unknown as ConstructorParameters<typeof JobService>[0]);
      for (const ask of [() => jobs.status(OWNER, 'a\u0000b'), () => jobs.cancel(OWNER, 'a\u0000b')]) {
        await assert.rejects(ask(), (error: unknown) => error instanceof ApiError && error.kind === 'not_found');
      }
    });

    test('LISTEN/NOTIFY: another instance is woken after an insert commits, a sweep requeue and a release', async () => {
      const api = await open('notify');
      const worker = await open('notify');
      const job = newJob();
      const afterInsert = nextWakeUp(worker, async () => (await worker.getJob(job.id, OWNER))?.state);
      await api.insertJob(job);
      assert.equal(await withTimeout(afterInsert, 3_000, 'NOTIFY after insert'), 'queued', 'the woken instance can already see the job');

      assert.equal((await worker.claimNext('w', 1_000, T0))?.attempt, 1);
      const afterSweep = nextWakeUp(worker, async () => (await worker.getJob(job.id, OWNER))?.state);
      assert.deepEqual((await api.sweepExpiredLeases(T0 + 1_001)).requeued, [job.id]);
      assert.equal(await withTimeout(afterSweep, 3_000, 'NOTIFY after a sweep requeue'), 'queued');

      await api.claimNext('w2', 1_000, T0 + 2_000);
      const afterRelease = nextWakeUp(worker, async () => (await worker.getJob(job.id, OWNER))?.state);
      assert.equal(await api.release(job.id, 2), true);
      assert.equal(await withTimeout(afterRelease, 3_000, 'NOTIFY after a release'), 'queued');
    });

    test('installs in different schemas of one database do not wake each other', async () => {
      const mine = await open('iso_a');
      const theirs = await open('iso_b');
      let woken = 0;
      theirs.onJobAvailable(() => woken++);
      const job = newJob();
      await mine.insertJob(job);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(woken, 0);
      assert.equal(await theirs.getJob(job.id, OWNER), undefined, 'and do not see each other’s jobs');
    });

    test('killed connections: the pool reconnects, and the LISTEN connection comes back and looks for work once', async () => {
      const store = await open('kill');
      const other = await open('kill');
      await store.getJob('warm-up', OWNER);
      const lookedAgain = nextWakeUp(store, async () => true);
      const killed = await withAdmin(async (client) => {
        const { rows } = await client.query<{ pid: number; application_name: string }>(
          `SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY($1)`,
          [[`modelgate-pool-${schemas.schemaFor('kill')}`, `modelgate-listen-${schemas.schemaFor('kill')}`]],
        );
        for (const { pid } of rows) await client.query('SELECT pg_terminate_backend($1)', [pid]);
        return rows.map((row) => row.application_name.split('-')[1]);
      });
      assert.ok(killed.includes('pool') && killed.filter((role) => role === 'listen').length === 2, `killed: ${killed.join(', ')}`);
      assert.equal(await withTimeout(lookedAgain, 5_000, 'the wake-up after the LISTEN connection came back'), true);

      // Both paths work again: statements on the pool, and a NOTIFY from another instance.
      const job = newJob();
      const woken = nextWakeUp(store, async () => (await store.getJob(job.id, OWNER))?.state);
      await other.insertJob(job);
      assert.equal(await withTimeout(woken, 3_000, 'NOTIFY on the new LISTEN connection'), 'queued');
    });

    test('a claim reads what it takes, not the queue, when the statistics describe an empty queue (a burst after a quiet spell)', async () => {
      const name = 'stale_stats';
      const store = await open(name);
      const schema = schemas.schemaFor(name);
      // The quiet spell: 200 jobs, all cancelled, when autovacuum analyses the table; then a burst
      // of 2,000 in one group commit, and the planner still sees the table's old size (reltuples).
      const quiet = Array.from({ length: 200 }, () => newJob());
      await Promise.all(quiet.map((job) => store.insertJob(job)));
      for (const job of quiet) await store.cancelJob(job.id, OWNER, T0);
      await withAdmin((admin) => admin.query(`ANALYZE ${schema}.jobs`));
      await Promise.all(Array.from({ length: 2_000 }, () => store.insertJob(newJob())));
      await withAdmin((admin) => admin.query(`UPDATE pg_class SET reltuples = 1 WHERE oid IN ('${schema}.jobs'::regclass, '${schema}.jobs_queued_seq'::regclass)`));
      // The production statement on a connection set up as the claim pool's are.
      const claims = new pg.Client(connectionConfig({ url: TEST_DATABASE_URL, schema }, 'claims'));
      await claims.connect();
      try {
        await claims.query('BEGIN');
        const slots = 8;
        const values = [Array.from({ length: slots }, (_, i) => `w${i}`), Array(slots).fill(T0 + 60_000), T0, 0];
        const { rows } = await claims.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${SQL.claimBatch.text}`, values);
        await claims.query('ROLLBACK');
        type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Actual Rows': number; 'Actual Loops': number; Plans?: PlanNode[] };
        const nodes: PlanNode[] = [];
        const walk = (node: PlanNode) => { nodes.push(node); node.Plans?.forEach(walk); };
        walk((rows[0]['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
        assert.equal(nodes[0]!['Actual Rows'], slots, 'one job per slot');
        const jobRowsRead = nodes.filter((n) => n['Relation Name'] === 'jobs').reduce((sum, n) => sum + n['Actual Rows'] * n['Actual Loops'], 0);
        assert.ok(jobRowsRead <= 4 * slots, `the claim read ${jobRowsRead} job rows to take ${slots} (plan nodes: ${nodes.map((n) => n['Node Type']).join(', ')})`);
        assert.ok(!nodes.some((n) => n['Node Type'].startsWith('Bitmap')), 'no bitmap scan: it cannot stop at the LIMIT');
      } finally {
        await claims.end();
      }
    });

    test('queue counts never make a writer wait: with every count row held by another transaction, claims, cancels and releases finish, twice, and positions stay exact', async () => {
      const store = await open('held_counts');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const job = newJob();
        await store.insertJob(job);
        ids.push(job.id);
      }
      const [a, b, c, d, e] = ids as [string, string, string, string, string];
      // Each round holds every count row there is, the rows the round before added included (a
      // writer that fell back to a row of its own per connection would wait for it in round 2).
      const rounds: Array<() => Promise<unknown>> = [
        async () => [await store.claimNext('w', 60_000, T0), await store.cancelJob(c, OWNER, T0)],
        async () => [await store.claimNext('w', 60_000, T0), await store.release(a, 1)],
      ];
      for (const [i, round] of rounds.entries()) {
        await withAdmin(async (holder) => {
          await holder.query('BEGIN');
          const held = await holder.query(`SELECT 1 FROM ${schemas.schemaFor('held_counts')}.queue_counts FOR UPDATE`);
          assert.ok(held.rowCount! > 0);
          try {
            await withTimeout(round(), 5_000, `round ${i + 1}'s writes while every count row is held`);
          } finally {
            await holder.query('COMMIT');
          }
        });
      }
      const positions = await Promise.all(ids.map(async (id) => (await store.getJob(id, OWNER))?.queuePosition));
      assert.deepEqual(positions, [0, null, null, 1, 2], `a released back to the front, b running, c cancelled, then d and e (${[a, b, c, d, e].join(' ')})`);
    });
  });
}
