/**
 * PostgreSQL stores in throwaway schemas, for tests that run the server on both backends. Each
 * schema is named after this process and dropped by `dropAll()`; `reachable` says whether the
 * test database answers (tests skip with the reason when it does not).
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';

export const TEST_DATABASE_URL = process.env.MODELGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs `run` on a connection of its own to the test database (for DDL and pg_terminate_backend). */
export async function withAdmin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** true, or why the test database cannot be used. */
export const reachable: true | string = await withAdmin(async () => true as const).catch((error: Error) => error.message);

export class PostgresSchemas {
  private readonly run = `mg_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  private readonly schemas = new Set<string>();

  /** The schema `open(name)` uses: a store's connections are named `modelgate-<role>-<schema>`. */
  schemaFor(name: string): string {
    return `${this.run}_${name}`;
  }

  /** A store in the schema `name`, reached at TEST_DATABASE_URL or at another URL of the same database. */
  open(name: string, url = TEST_DATABASE_URL, options: { timeoutMs?: number } = {}): Promise<PostgresStore> {
    const schema = this.schemaFor(name);
    this.schemas.add(schema);
    return PostgresStore.open({ url, schema, poolSize: 4, ...options });
  }

  async dropAll(): Promise<void> {
    if (this.schemas.size === 0) return;
    await withAdmin(async (client) => {
      for (const schema of this.schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    });
    this.schemas.clear();
  }
}
