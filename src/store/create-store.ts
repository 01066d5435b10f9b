/**
 * Opens the Store the configuration names: the embedded SQLite file under the data folder by
 * default, or PostgreSQL when MODELGATE_DATABASE_URL is a postgres:// URL.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export async function createStore(config: Config): Promise<Store> {
  return SqliteStore.open({ path: join(config.dataDir, 'modelgate.db'), synchronous: config.sqliteSynchronous });
}
