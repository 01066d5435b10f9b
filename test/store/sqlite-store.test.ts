/** The Store suite against SQLite: one file per database, in a temp folder removed afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { defineStoreSuite } from './store-suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'modelgate-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// FULL, as installs run by default. Instances opened on the same name share one file, as an
// API process and an external worker process would.
defineStoreSuite('SQLite', (database) => SqliteStore.open({ path: join(dir, `${database}.db`), synchronous: 'FULL' }));
