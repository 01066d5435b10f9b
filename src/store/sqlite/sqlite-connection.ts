/** Opens the embedded database: WAL for concurrent readers, and the durability the config asks for. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateToLatest } from '../migrations/migrations.ts';

export interface SqliteOptions {
  /** A file path, or ':memory:' for a throwaway database. */
  path: string;
  /**
   * FULL: a commit is on disk before it is acknowledged, surviving power loss too.
   * NORMAL: survives a killed process (kill -9) but may lose the last commits on power loss.
   */
  synchronous: 'FULL' | 'NORMAL';
}

export async function openSqlite(options: SqliteOptions): Promise<Database> {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new BetterSqlite3(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous}`);
  // Other processes (an external worker, the key CLI) share the file; wait for their writes.
  db.pragma('busy_timeout = 5000');
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
  // Kysely's destroy() would close the shared handle, so the migrator's instance is just dropped.
  await migrateToLatest(kysely, 'sqlite');
  return db;
}
