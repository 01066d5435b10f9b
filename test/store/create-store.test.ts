/** MODELGATE_DATABASE_URL: validated at start, and it alone decides which Store opens. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'modelgate-create-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const config = (url?: string) => loadConfig({ MODELGATE_DATA_DIR: dir, ...(url === undefined ? {} : { MODELGATE_DATABASE_URL: url }) });

describe('MODELGATE_DATABASE_URL', () => {
  test('unset or empty means the embedded SQLite store', async () => {
    assert.equal(config().databaseUrl, undefined);
    assert.equal(config('  ').databaseUrl, undefined);
    const store = await createStore(config());
    try {
      assert.ok(store instanceof SqliteStore);
      assert.equal(store.capabilities.crossProcessWakeups, false);
    } finally {
      await store.close();
    }
  });

  test('postgres:// and postgresql:// URLs are accepted as given', () => {
    assert.equal(config('postgres://app:pw@127.0.0.1:5432/modelgate').databaseUrl, 'postgres://app:pw@127.0.0.1:5432/modelgate');
    assert.equal(config('postgresql://127.0.0.1/modelgate?sslmode=disable').databaseUrl, 'postgresql://127.0.0.1/modelgate?sslmode=disable');
    // libpq's Unix-socket forms, which the WHATWG URL parser does not all take (a user and no host).
    for (const socket of ['postgres://app:pw@/modelgate?host=/run/postgresql', 'postgresql:///modelgate?host=/run/postgresql', 'postgres://app@%2Frun%2Fpostgresql/modelgate']) {
      assert.equal(config(socket).databaseUrl, socket);
    }
  });

  test('anything else is refused with an error that names the variable and does not echo the password', () => {
    for (const bad of ['mysql://app:s3cret@127.0.0.1/db', 'not a url', '127.0.0.1:5432/db', 'http://app:s3cret@127.0.0.1/', 'postgres://app:s3cret@127.0.0.1:port/db']) {
      assert.throws(
        () => config(bad),
        (error: unknown) => error instanceof ConfigError && error.message.includes('MODELGATE_DATABASE_URL') && !error.message.includes('s3cret'),
        bad,
      );
    }
  });

  test('when set, createStore opens PostgreSQL (a closed port fails with a connection error, not a SQLite file)', async () => {
    await assert.rejects(createStore(config('postgres://postgres@127.0.0.1:1/test')), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ECONNREFUSED');
      return true;
    });
  });
});
