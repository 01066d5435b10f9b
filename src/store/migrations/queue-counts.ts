/**
 * Migration 0007: the queued-job counts that make `queue_position` cheap at any depth.
 *
 * A job's position is the number of queued jobs with a lower `seq`. Counting them at read time
 * cost one index entry per job ahead (2.4 ms per poll with 100,000 queued on SQLite, 5.9 ms on
 * PostgreSQL). Instead, `queue_counts` holds how many queued jobs each range of seqs contains, at
 * two widths: level 1 ranges of 2^7 seqs, level 2 ranges of 2^14 seqs. A status read then adds
 * the level-2 counts from the head of the queue up to its own level-2 range, the level-1 counts
 * inside that range up to its own level-1 range, and counts the index entries in its own level-1
 * range: at most 127 + 127 rows plus one level-2 row per 16,384 seqs the queue spans, whatever
 * its depth (sqlite-statements.ts and postgres-statements.ts, getJob).
 *
 * Triggers keep the counts, so every statement that moves a job into or out of 'queued' (submit,
 * claim, cancel, release, retry, the sweeper, and any statement added later) updates them in its
 * own transaction, and no statement had to change. A read is one statement, so it sees the job
 * rows and the counts at one snapshot: the position is exact, never an estimate.
 *
 * PostgreSQL runs statement-level triggers over transition tables: one upsert per statement for a
 * whole submit batch or sweep, and rows locked in (level, bucket) order, so two statements that
 * touch the same counts cannot deadlock. SQLite has one writer, so plain row triggers do.
 */
import { type Kysely, sql } from 'kysely';
import type { SqlFlavour } from './migrations.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** log2 of the seqs a level-1 and a level-2 count covers; the status reads repeat them. */
export const LEVEL1_SHIFT = 7;
export const LEVEL2_SHIFT = 14;

// A derived table both dialects accept (SQLite has no column aliases on VALUES).
const LEVELS = `(SELECT 1 AS level, ${LEVEL1_SHIFT} AS shift UNION ALL SELECT 2, ${LEVEL2_SHIFT}) AS l`;

// Adds (+1 per row of `plus`, −1 per row of `minus`, queued rows only) to both levels.
function pgApply(plus: string | null, minus: string | null): string {
  const sides = [plus && `SELECT seq, 1 AS delta FROM ${plus} WHERE state = 'queued'`, minus && `SELECT seq, -1 AS delta FROM ${minus} WHERE state = 'queued'`];
  return `INSERT INTO queue_counts (level, bucket, queued)
      SELECT l.level, d.seq >> l.shift, sum(d.delta) FROM (${sides.filter(Boolean).join(' UNION ALL ')}) AS d CROSS JOIN ${LEVELS}
      GROUP BY 1, 2 HAVING sum(d.delta) <> 0 ORDER BY 1, 2
    ON CONFLICT (level, bucket) DO UPDATE SET queued = queue_counts.queued + excluded.queued;`;
}

async function postgresTriggers(db: AnyDb): Promise<void> {
  // SET search_path FROM CURRENT: the function finds this install's queue_counts even when a
  // statement runs with another search_path (installs in separate schemas).
  await sql
    .raw(
      `CREATE FUNCTION queue_counts_follow_jobs() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN ${pgApply('new_rows', null)}
      ELSIF TG_OP = 'UPDATE' THEN ${pgApply('new_rows', 'old_rows')}
      ELSE ${pgApply(null, 'old_rows')}
      END IF;
      RETURN NULL;
    END $$`,
    )
    .execute(db);
  const on = `FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_follow_jobs()`;
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows ${on}`).execute(db);
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows ${on}`).execute(db);
  await sql.raw(`CREATE TRIGGER jobs_queue_counts_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows ${on}`).execute(db);
}

function sqliteBump(row: 'new' | 'old', delta: string): string {
  return `INSERT INTO queue_counts (level, bucket, queued)
      VALUES (1, ${row}.seq >> ${LEVEL1_SHIFT}, ${delta}), (2, ${row}.seq >> ${LEVEL2_SHIFT}, ${delta})
      ON CONFLICT (level, bucket) DO UPDATE SET queued = queued + excluded.queued;`;
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
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('queue_counts_pk', ['level', 'bucket'])
    .execute();
  // The jobs already queued, counted once.
  await sql
    .raw(`INSERT INTO queue_counts (level, bucket, queued)
      SELECT l.level, j.seq >> l.shift, count(*) FROM jobs j CROSS JOIN ${LEVELS} WHERE j.state = 'queued' GROUP BY 1, 2`)
    .execute(db);
  await (flavour === 'postgres' ? postgresTriggers(db) : sqliteTriggers(db));
}

/**
 * The queue position of the queued job aliased `j`, for the status reads of both backends (kept
 * here, beside the triggers, because it must use the same widths). Three bounded parts: the
 * level-2 counts from the head of the queue's range up to j's; the level-1 counts inside j's
 * level-2 range up to j's level-1 range; the queued index entries in j's level-1 range before it.
 * The head bound (one probe of the queued-seq index) keeps ranges emptied long ago out of the sum.
 */
export function queuePositionSql(j: string): string {
  return `(SELECT count(*) FROM jobs q WHERE q.state = 'queued' AND q.seq >= (${j}.seq >> ${LEVEL1_SHIFT}) << ${LEVEL1_SHIFT} AND q.seq < ${j}.seq)
      + (SELECT coalesce(sum(c.queued), 0) FROM queue_counts c WHERE c.level = 1
          AND c.bucket >= (${j}.seq >> ${LEVEL2_SHIFT}) << ${LEVEL2_SHIFT - LEVEL1_SHIFT} AND c.bucket < ${j}.seq >> ${LEVEL1_SHIFT})
      + (SELECT coalesce(sum(c.queued), 0) FROM queue_counts c WHERE c.level = 2
          AND c.bucket >= (SELECT h.seq FROM jobs h WHERE h.state = 'queued' ORDER BY h.seq LIMIT 1) >> ${LEVEL2_SHIFT}
          AND c.bucket < ${j}.seq >> ${LEVEL2_SHIFT})`;
}
