/**
 * Opens the Store the configuration names: the embedded SQLite file under the data folder by
 * default, or PostgreSQL when MODELGATE_DATABASE_URL is a postgres:// URL.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Store } from './store.ts';

export async function createStore(config: Config): Promise<Store> {
  // Each backend is imported only when chosen: a SQLite install never loads pg, and a
  // PostgreSQL one never opens better-sqlite3's native module.
  if (config.databaseUrl) {
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    return PostgresStore.open({ url: config.databaseUrl, timeoutMs: config.databaseTimeoutMs });
  }
  const { SqliteStore } = await import('./sqlite/sqlite-store.ts');
  return SqliteStore.open({ path: join(config.dataDir, 'modelgate.db'), synchronous: config.sqliteSynchronous });
}
