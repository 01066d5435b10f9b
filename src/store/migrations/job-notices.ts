/**
 * Migration 0014: `jobs.notices`, sentences an engine attached to a successful run for the client
 * to read beside its output (the bundled text-to-image model saying it draws coloured shapes only).
 * A JSON array of strings, written by the completing statement; NULL when there were none, which
 * is nearly always, so the column costs a row nothing.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function addJobNotices(db: AnyDb): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('notices', 'text').execute();
}
