/**
 * Migration 0010: request history (GET /v1/requests), deletion (DELETE /v1/requests/{id}) and
 * output retention.
 *
 * - `deleted_at`: a deleted job stays as a tombstone (id, owner, seq, state and usage kept, input
 *   and outputs cleared), so its id is never handed out again and GET /v1/usage still counts
 *   what it cost; every read by id treats it as absent.
 * - `jobs_owner_history (owner_key_id, seq DESC) WHERE deleted_at IS NULL`: a history page is
 *   one range of this index, `owner = ? AND seq < <cursor> ORDER BY seq DESC LIMIT n`, so the
 *   thousandth page reads as few entries as the first (keyset pagination, never OFFSET).
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
  await sql`CREATE INDEX jobs_owner_history ON jobs (owner_key_id, seq DESC) WHERE deleted_at IS NULL`.execute(db);
  await sql`CREATE INDEX jobs_retention ON jobs (finished_at) WHERE deleted_at IS NULL AND finished_at IS NOT NULL`.execute(db);
}
