/**
 * Migration 0007: the queued-job counts that make `queue_position` cheap at any depth.
 *
 * A job's position is the number of queued jobs with a lower `seq`. Counting them at read time
 * cost one index entry per job ahead (2.4 ms per poll with 100,000 queued on SQLite, 5.9 ms on
 * PostgreSQL). Instead, `queue_counts` holds how many queued jobs each range of seqs contains, at
 * two widths: level 1 ranges of 2^7 seqs, level 2 ranges of 2^14 seqs. A status read adds the
 * level-2 counts from the head of the queue up to its own level-2 range, the level-1 counts inside
 * that range up to its own level-1 range, and counts the index entries in its own level-1 range:
 * at most 127 + 127 ranges plus one per 16,384 seqs the queue spans, whatever its depth
 * (queuePositionSql below, used by getJob on both backends).
 *
 * Triggers keep the counts, so every statement that moves a job into or out of 'queued' (submit,
 * claim, cancel, release, retry, the sweeper, and any statement added later) updates them in its
 * own transaction, and no statement had to change. A read is one statement, so it sees the job
 * rows and the counts at one snapshot: the position is exact, never an estimate.
 *
 * A range's count may be split over several rows (`stripe`), and the reads add them up. SQLite
 * has one writer and keeps one row per range. In PostgreSQL one row per range was a hot spot:
 * every claim at the head of the queue updated the same row and held its lock until commit, so
 * 16 concurrent claimers ran one commit at a time (412 claims/s against 1,514/s without counts,
 * in one dev run). There a change goes to any row of the range no other transaction holds
 * (SKIP LOCKED), or else to a new row keyed by its own transaction id, so a writer never waits
 * for another and cannot deadlock. A range gets about as many rows as writers that touched it at
 * once; ranges the queue has left behind are outside every read (the head bound) and only take
 * space, about one small row per 128 jobs per concurrent claimer. What remains is the work
 * itself: two small row updates per claim, cancel or requeue (docs/benchmarks.md measures it).
 * Updates go through a row trigger whose WHEN clause fires only when a job crosses the 'queued'
 * boundary, so heartbeats, progress and settles pay nothing; a submit batch through one
 * statement trigger, one change per range for the whole batch.
 */
import { type Kysely, sql } from 'kysely';
import type { SqlFlavour } from './migrations.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** log2 of the seqs a level-1 and a level-2 count covers; queuePositionSql reads with them. */
export const LEVEL1_SHIFT = 7;
export const LEVEL2_SHIFT = 14;

// A derived table both dialects accept (SQLite has no column aliases on VALUES).
const LEVELS = `(SELECT 1 AS level, ${LEVEL1_SHIFT} AS shift UNION ALL SELECT 2, ${LEVEL2_SHIFT}) AS l`;

// PL/pgSQL that adds `delta` to a row of range (lvl, b) no other transaction holds, else to a new
// row keyed by this transaction's id. Neither step can wait: SKIP LOCKED passes held rows by, and
// no other transaction can hold a row keyed by this one's id (keyed by the backend's pid instead,
// a row could be held by another transaction's SKIP LOCKED pick, and the two deadlocked). The
// update names the picked row by its key, not its ctid: a hot row picked after a newer version
// committed is locked at that version, which this statement's snapshot cannot see by ctid, and
// each such miss added a row (265 rows for one range after 9,600 claims by 24 claimers).
function pgAdd(lvl: string, b: string, delta: string): string {
  return `UPDATE queue_counts c SET queued = c.queued + ${delta}
        WHERE (c.level, c.bucket, c.stripe) = (SELECT f.level, f.bucket, f.stripe FROM queue_counts f
          WHERE f.level = ${lvl} AND f.bucket = ${b} LIMIT 1 FOR UPDATE SKIP LOCKED);
      IF NOT FOUND THEN
        INSERT INTO queue_counts (level, bucket, stripe, queued) VALUES (${lvl}, ${b}, txid_current(), ${delta})
          ON CONFLICT (level, bucket, stripe) DO UPDATE SET queued = queue_counts.queued + excluded.queued;
      END IF;`;
}

async function postgresTriggers(db: AnyDb): Promise<void> {
  // SET search_path FROM CURRENT: the functions find this install's queue_counts even when a
  // statement runs with another search_path (installs in separate schemas).
  const fn = `LANGUAGE plpgsql SET search_path FROM CURRENT`;
  // A submit batch: one change per range for the whole statement.
  await sql
    .raw(
      `CREATE FUNCTION queue_counts_on_insert() RETURNS trigger ${fn} AS $$
    DECLARE
      r record;
    BEGIN
      FOR r IN SELECT l.level, n.seq >> l.shift AS bucket, count(*)::integer AS added
          FROM new_rows n CROSS JOIN ${LEVELS} WHERE n.state = 'queued' GROUP BY 1, 2 LOOP
        ${pgAdd('r.level', 'r.bucket', 'r.added')}
      END LOOP;
      RETURN NULL;
    END $$`,
    )
    .execute(db);
  // Claims, cancels, requeues: a row trigger, so the WHEN clause spares every other update
  // (heartbeats, progress, settles) any work at all.
  await sql
    .raw(
      `CREATE FUNCTION queue_counts_on_change() RETURNS trigger ${fn} AS $$
    DECLARE
      job_seq bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.seq ELSE NEW.seq END;
      delta integer := CASE WHEN TG_OP <> 'DELETE' AND NEW.state = 'queued' THEN 1 ELSE -1 END;
    BEGIN
      ${pgAdd('1', `job_seq >> ${LEVEL1_SHIFT}`, 'delta')}
      ${pgAdd('2', `job_seq >> ${LEVEL2_SHIFT}`, 'delta')}
      RETURN NULL;
    END $$`,
    )
    .execute(db);
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_on_insert()`).execute(db);
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_update AFTER UPDATE OF state ON jobs FOR EACH ROW
    WHEN ((OLD.state = 'queued') <> (NEW.state = 'queued')) EXECUTE FUNCTION queue_counts_on_change()`).execute(db);
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_delete AFTER DELETE ON jobs FOR EACH ROW
    WHEN (OLD.state = 'queued') EXECUTE FUNCTION queue_counts_on_change()`).execute(db);
}

function sqliteBump(row: 'new' | 'old', delta: string): string {
  return `INSERT INTO queue_counts (level, bucket, stripe, queued)
      VALUES (1, ${row}.seq >> ${LEVEL1_SHIFT}, 0, ${delta}), (2, ${row}.seq >> ${LEVEL2_SHIFT}, 0, ${delta})
      ON CONFLICT (level, bucket, stripe) DO UPDATE SET queued = queued + excluded.queued;`;
}

async function sqliteTriggers(db: AnyDb): Promise<void> {
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_insert AFTER INSERT ON jobs WHEN new.state = 'queued'
    BEGIN ${sqliteBump('new', '1')} END`).execute(db);
  // Only a change across the 'queued' boundary moves a count; heartbeats and progress never fire it.
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_update AFTER UPDATE OF state ON jobs
    WHEN (old.state = 'queued') <> (new.state = 'queued')
    BEGIN ${sqliteBump('new', `CASE WHEN new.state = 'queued' THEN 1 ELSE -1 END`)} END`).execute(db);
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_delete AFTER DELETE ON jobs WHEN old.state = 'queued'
    BEGIN ${sqliteBump('old', '-1')} END`).execute(db);
}

export async function addQueueCounts(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  await db.schema
    .createTable('queue_counts')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('bucket', flavour === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    // 0 in SQLite; in PostgreSQL 0 for the counts made here, else the transaction id that made the row.
    .addColumn('stripe', flavour === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('queue_counts_pk', ['level', 'bucket', 'stripe'])
    .execute();
  // The jobs already queued, counted once.
  await sql
    .raw(`INSERT INTO queue_counts (level, bucket, stripe, queued)
      SELECT l.level, j.seq >> l.shift, 0, count(*) FROM jobs j CROSS JOIN ${LEVELS} WHERE j.state = 'queued' GROUP BY 1, 2`)
    .execute(db);
  await (flavour === 'postgres' ? postgresTriggers(db) : sqliteTriggers(db));
}

/**
 * The queue position of the queued job aliased `j`, for the status reads of both backends (kept
 * here, beside the triggers, because it must use the same widths). Three bounded parts: the
 * level-2 counts from the head of the queue's range up to j's; the level-1 counts inside j's
 * level-2 range (and from the head's level-1 range) up to j's level-1 range; the queued index
 * entries in j's level-1 range before it. The head bound (one probe of the queued-seq index)
 * keeps ranges the queue has left, which hold nothing but may hold many rows, out of the sums.
 */
export function queuePositionSql(j: string): string {
  const head = `(SELECT h.seq FROM jobs h WHERE h.state = 'queued' ORDER BY h.seq LIMIT 1)`;
  return `(SELECT count(*) FROM jobs q WHERE q.state = 'queued' AND q.seq >= (${j}.seq >> ${LEVEL1_SHIFT}) << ${LEVEL1_SHIFT} AND q.seq < ${j}.seq)
      + (SELECT coalesce(sum(c.queued), 0) FROM queue_counts c WHERE c.level = 1
          AND c.bucket >= (${j}.seq >> ${LEVEL2_SHIFT}) << ${LEVEL2_SHIFT - LEVEL1_SHIFT} AND c.bucket >= ${head} >> ${LEVEL1_SHIFT}
          AND c.bucket < ${j}.seq >> ${LEVEL1_SHIFT})
      + (SELECT coalesce(sum(c.queued), 0) FROM queue_counts c WHERE c.level = 2
          AND c.bucket >= ${head} >> ${LEVEL2_SHIFT} AND c.bucket < ${j}.seq >> ${LEVEL2_SHIFT})`;
}
