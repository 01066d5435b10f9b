/** Opens the embedded database: WAL for concurrent readers, and the durability the config asks for. */
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { StartupError } from '../../config-error.ts';
import { ensureDataDir } from '../../data-dir.ts';
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
  if (options.path !== ':memory:') ensureDataDir(dirname(options.path));
  const db = open(options.path);
  db.pragma(`synchronous = ${options.synchronous}`);
  // Other processes (an external worker, the key CLI) share the file; wait for their writes.
  db.pragma('busy_timeout = 5000');
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
  // Kysely's destroy() would close the shared handle, so the migrator's instance is just dropped.
  await migrateToLatest(kysely, 'sqlite');
  return db;
}

/** SQLite's own words ("unable to open database file", "file is not a database") name no file; ours do. */
function open(path: string): Database {
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    return db;
  } catch (error) {
    db?.close();
    throw new StartupError(`cannot open the database ${path} (under MODELGATE_DATA_DIR): ${(error as Error).message}`);
  }
}
