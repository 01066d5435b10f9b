/**
 * GET /v1/requests at depth, on both stores: with 120,000 jobs (100,000 of one key, interleaved
 * with another key's 20,000), a page 90,000 jobs deep is read the way the first page is: one
 * range of jobs_owner_history, no sort, no rows read beyond the page. Asserted on the plans
 * (SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN ANALYZE rows and buffers, custom and
 * generic plans), not on time; the times are printed for docs/benchmarks.md.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SQL } from '../../src/store/postgres/postgres-statements.ts';
import { prepareStatements } from '../../src/store/sqlite/sqlite-statements.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { ListedJob, Store } from '../../src/store/store.ts';
import { PostgresSchemas, reachable, TEST_DATABASE_URL, withAdmin } from '../support/postgres-schemas.ts';

const TOTAL = 120_000;
/** Every sixth job is the other key's: 100,000 of OWNER's. */
const OTHER_EVERY = 6;
const OWNER = 'key-deep';
const PAGE = 20;
/** How many of OWNER's jobs the deep page skips. */
const DEPTH = 90_000;

/** The owner of the job with this 1-based seq, as the bulk inserts assign them. */
const ownerOfSeq = (seq: number) => (seq % OTHER_EVERY === 0 ? 'key-other' : OWNER);

/** The seq of OWNER's job that comes `skip` jobs after the newest, counting down. */
function ownerSeqAtDepth(skip: number): number {
  let seq = TOTAL + 1;
  for (let seen = 0; seen <= skip; ) if (ownerOfSeq(--seq) === OWNER) seen++;
  return seq;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median ms of `runs` reads of the first page and of the deep page through the Store. */
async function timePages(store: Store, deepCursor: number, runs = 200): Promise<{ first: number; deep: number }> {
  const read = (beforeSeq?: number) => store.listJobs({ ownerKeyId: OWNER, limit: PAGE + 1, ...(beforeSeq === undefined ? {} : { beforeSeq }) });
  const first: number[] = [];
  const deep: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await read();
    first.push(performance.now() - t);
    t = performance.now();
    await read(deepCursor);
    deep.push(performance.now() - t);
  }
  return { first: median(first), deep: median(deep) };
}

function assertDeepPage(page: ListedJob[], cursor: number): void {
  assert.equal(page.length, PAGE + 1);
  const expected: number[] = [];
  for (let seq = cursor - 1; expected.length < PAGE + 1; seq--) if (ownerOfSeq(seq) === OWNER) expected.push(seq);
  assert.deepEqual(page.map((job) => job.seq), expected, 'the next jobs below the cursor, newest first, none skipped');
}

describe('history pages at depth (120,000 jobs)', () => {
  test('SQLite: the deep page is one range of jobs_owner_history, like the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-depth-'));
    const path = join(dir, 'depth.db');
    const store = await SqliteStore.open({ path, synchronous: 'NORMAL' });
    const raw = new Database(path);
    try {
      raw.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${TOTAL})
        INSERT INTO jobs (seq, id, owner_key_id, model_id, input, state, attempt, max_attempts, created_at, finished_at, outputs)
        SELECT i, 'job-' || i, CASE WHEN i % ${OTHER_EVERY} = 0 THEN 'key-other' ELSE '${OWNER}' END, 'm/' || (i % 3), '{}', 'succeeded', 1, 3,
          1700000000000 + i, 1700000000000 + i + 5, '[{"key":"outputs/job-' || i || '/1-ab/0.png","kind":"image","contentType":"image/png"}]'
        FROM n`);
      raw.exec('ANALYZE');
      const cursor = ownerSeqAtDepth(DEPTH);
      const listJobs = prepareStatements(raw).listJobs;
      const plan = (before: number, extra: Record<string, unknown> = {}) =>
        (raw.prepare(`EXPLAIN QUERY PLAN ${listJobs.source}`).all({ owner: OWNER, before, limit: PAGE + 1, model: null, states: null, since: null, ...extra }) as Array<{ detail: string }>).map((row) => row.detail).join(' | ');
      for (const [name, text] of [['first', plan(Number.MAX_SAFE_INTEGER)], ['deep', plan(cursor)], ['filtered', plan(cursor, { model: 'm/1', states: '["succeeded"]' })]] as const) {
        assert.match(text, /SEARCH jobs USING INDEX jobs_owner_history \(owner_key_id=\? AND seq<\?\)/, `${name} page plan: ${text}`);
        assert.doesNotMatch(text, /TEMP B-TREE|SCAN jobs/, `${name} page: no sort, no scan: ${text}`);
      }
      assertDeepPage(await store.listJobs({ ownerKeyId: OWNER, limit: PAGE + 1, beforeSeq: cursor }), cursor);
      const times = await timePages(store, cursor);
      console.log(`# SQLite ${TOTAL} jobs: first page ${times.first.toFixed(3)} ms, page ${DEPTH} deep ${times.deep.toFixed(3)} ms (median of 200)`);
    } finally {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const pg = reachable === true ? false : `cannot connect to ${TEST_DATABASE_URL}: ${String(reachable)}`;
  test('PostgreSQL: the deep page reads as few index entries and buffers as the first, in custom and generic plans', { skip: pg }, async () => {
    const schemas = new PostgresSchemas();
    const store = await schemas.open('depth');
    const schema = schemas.schemaFor('depth');
    try {
      await withAdmin(async (client) => {
        await client.query(`INSERT INTO ${schema}.jobs (seq, id, owner_key_id, model_id, input, state, attempt, max_attempts, created_at, finished_at, outputs)
          SELECT i, 'job-' || i, CASE WHEN i % ${OTHER_EVERY} = 0 THEN 'key-other' ELSE '${OWNER}' END, 'm/' || (i % 3), '{}', 'succeeded', 1, 3,
            1700000000000 + i, 1700000000000 + i + 5, '[{"key":"outputs/job-' || i || '/1-ab/0.png","kind":"image","contentType":"image/png"}]'
          FROM generate_series(1, ${TOTAL}) AS i`);
        await client.query(`SELECT setval(pg_get_serial_sequence('${schema}.jobs', 'seq'), ${TOTAL})`);
        await client.query(`ANALYZE ${schema}.jobs`);
      });
      const cursor = ownerSeqAtDepth(DEPTH);
      type Node = { 'Node Type': string; 'Index Name'?: string; 'Actual Rows': number; 'Rows Removed by Filter'?: number; 'Shared Hit Blocks': number; 'Shared Read Blocks': number; Plans?: Node[] };
      const explain = async (before: number, generic: boolean): Promise<Node> =>
        withAdmin(async (client) => {
          await client.query(`SET search_path = ${schema}`);
          if (generic) await client.query('SET plan_cache_mode = force_generic_plan');
          await client.query(`PREPARE page(text, bigint, int, text, text[], bigint) AS ${SQL.listJobs.text}`);
          const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE page('${OWNER}', ${before}, ${PAGE + 1}, NULL, NULL, NULL)`);
          return (rows[0]['QUERY PLAN'] as Array<{ Plan: Node }>)[0]!.Plan;
        });
      const scanOf = (plan: Node): Node => (plan['Index Name'] ? plan : scanOf(plan.Plans![0]!));
      for (const generic of [false, true]) {
        const first = await explain(Number.MAX_SAFE_INTEGER, generic);
        const deep = await explain(cursor, generic);
        for (const [name, plan] of [['first', first], ['deep', deep]] as const) {
          const scan = scanOf(plan);
          assert.equal(plan['Node Type'], 'Limit', `${name}: the LIMIT stops the scan (no sort node above it)`);
          assert.match(scan['Node Type'], /^Index (Only )?Scan$/, name);
          assert.equal(scan['Index Name'], 'jobs_owner_history', name);
          assert.equal(scan['Actual Rows'], PAGE + 1, `${name} (${generic ? 'generic' : 'custom'} plan): exactly the page's rows are read`);
          assert.equal(scan['Rows Removed by Filter'] ?? 0, 0, `${name}: none read and thrown away`);
        }
        const blocks = (plan: Node) => plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
        assert.ok(blocks(deep) <= blocks(first) + 3, `buffers: deep ${blocks(deep)} vs first ${blocks(first)} (${generic ? 'generic' : 'custom'} plan)`);
      }
      assertDeepPage(await store.listJobs({ ownerKeyId: OWNER, limit: PAGE + 1, beforeSeq: cursor }), cursor);
      const times = await timePages(store, cursor);
      console.log(`# PostgreSQL ${TOTAL} jobs: first page ${times.first.toFixed(3)} ms, page ${DEPTH} deep ${times.deep.toFixed(3)} ms (median of 200)`);

      // The layout that misleads a planner estimating from the key's share of rows: the key's
      // 100,000 jobs behind another key's newest 20,000. The first page still reads its 21 rows.
      await withAdmin(async (client) => {
        await client.query(`INSERT INTO ${schema}.jobs (seq, id, owner_key_id, model_id, input, state, attempt, max_attempts, created_at)
          SELECT i, 'job-' || i, 'key-other', 'm/0', '{}', 'succeeded', 1, 3, 1700000000000 + i FROM generate_series(${TOTAL + 1}, ${TOTAL + 20_000}) AS i`);
        await client.query(`ANALYZE ${schema}.jobs`);
      });
      for (const generic of [false, true]) {
        const scan = scanOf(await explain(Number.MAX_SAFE_INTEGER, generic));
        assert.equal(scan['Index Name'], 'jobs_owner_history');
        assert.equal(scan['Actual Rows'] + (scan['Rows Removed by Filter'] ?? 0), PAGE + 1, `behind another key's newest jobs (${generic ? 'generic' : 'custom'} plan)`);
      }
    } finally {
      await store.close();
      await schemas.dropAll();
    }
  });
});
