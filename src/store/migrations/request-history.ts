/**
 * Migration 0010: request history (GET /v1/requests), deletion (DELETE /v1/requests/{id}) and
 * output retention.
 *
 * - `deleted_at`: a deleted job stays as a tombstone (id, owner, seq, state and usage kept, input
 *   and outputs cleared), so its id is never handed out again and GET /v1/usage still counts
 *   what it cost; every read by id treats it as absent.
 * - `jobs_owner_history (owner_key_id, seq DESC) WHERE deleted_at IS NULL` (PostgreSQL: the
 *   same order as (owner_key_id, -seq)): a history page is one range of this index,
 *   `owner = ? AND seq < <cursor> ORDER BY seq DESC LIMIT n`, so the thousandth page reads as
 *   few entries as the first (keyset pagination, never OFFSET).
 *   Heartbeats and progress change none of its columns, so they stay HOT on PostgreSQL (0008).
 * - `jobs_retention (finished_at) WHERE deleted_at IS NULL AND finished_at IS NOT NULL`: the
 *   janitor's retention reads the oldest finished jobs of every key in bounded batches. Only
 *   settles (which move `state`, never HOT anyway) and deletions write it.
 */
import { type Kysely, sql } from 'kysely';
import type { SqlFlavour } from './migrations.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function addRequestHistory(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('deleted_at', flavour === 'postgres' ? 'bigint' : 'integer').execute();
  // PostgreSQL keys it on (-seq), an order only this index serves, so the planner never walks
  // the primary key backwards filtering on the owner instead (it chose that walk in the depth
  // test while the key owned most rows: cheap there, but a page of a key whose jobs sit behind
  // another key's newest ones would read all of those first). SQLite names the index in the
  // statement (INDEXED BY) instead.
  if (flavour === 'postgres') await sql`CREATE INDEX jobs_owner_history ON jobs (owner_key_id, (-seq)) WHERE deleted_at IS NULL`.execute(db);
  else await sql`CREATE INDEX jobs_owner_history ON jobs (owner_key_id, seq DESC) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX jobs_retention ON jobs (finished_at) WHERE deleted_at IS NULL AND finished_at IS NOT NULL`.execute(db);
}
