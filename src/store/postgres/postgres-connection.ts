/**
 * Opens PostgreSQL for the Store: a connection pool whose every connection works in one schema,
 * the shared Kysely migrations, and a dedicated LISTEN connection for cross-process wake-ups.
 */
import { EventEmitter } from 'node:events';
import { Kysely, PostgresDialect } from 'kysely';
import { Client, Pool, type ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { migrateToLatest } from '../migrations/migrations.ts';

export interface PostgresOptions {
  /** postgres:// or postgresql:// URL, in any form pg and libpq take (a Unix-socket host included). */
  url: string;
  /**
   * The schema holding ModelGate's tables, created when missing. Several installs (or test
   * files) can share one database, each in its own schema. Default: public.
   */
  schema?: string;
  /** Connections in the pool; the LISTEN connection comes on top. Default 10. */
  poolSize?: number;
}

// Kept short and plain so it can be spliced into search_path and a NOTIFY channel name
// (identifiers stop at 63 bytes) without quoting rules to get wrong.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export function validateSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`PostgreSQL schema name ${JSON.stringify(schema)} must be 1-40 characters of a-z, 0-9 and _, not starting with a digit`);
  }
  return schema;
}

/** application_name says whose connection it is and what for, e.g. in pg_stat_activity. */
export function connectionConfig(options: PostgresOptions, role: 'pool' | 'listen' | 'claims'): ClientConfig {
  const schema = validateSchemaName(options.schema ?? 'public');
  // A startup parameter rather than a SET after connecting: it is in force before the first
  // query on every new pooled connection, with no window where a query runs in another schema.
  //
  // enable_bitmapscan=off: every statement ModelGate runs is a keyed or index-ordered read, often
  // with a LIMIT, for which a bitmap scan is never the right plan. The planner picks one anyway
  // when its statistics are stale in the usual way for a queue (taken while the queue was nearly
  // empty, then a burst arrives): the claim then read and sorted every queued job to take 8
  // (10,000 buffer hits per claim in a 5,000-job drain, docs/benchmarks.md). A bitmap scan never
  // stops early at a LIMIT, so that plan's cost grows with the queue; an index scan's does not.
  const asyncCommit = role === 'claims' ? ' -c synchronous_commit=off' : '';
  const ours = `-c search_path=${schema} -c enable_bitmapscan=off${asyncCommit}`;
  // The URL is parsed here, by the parser pg itself uses, rather than handed over as
  // `connectionString`: pg lets every field of a connection string replace the same field given
  // beside it, so an operator's `?options=-c statement_timeout=…` would silently drop the
  // settings above. Theirs go first and ours after, and PostgreSQL keeps the last of a repeated
  // setting. An application_name in the URL is the operator's choice and is kept.
  const given = parseIntoClientConfig(options.url);
  return {
    ...given,
    options: given.options ? `${given.options} ${ours}` : ours,
    application_name: given.application_name ?? `modelgate-${role}-${schema}`,
  };
}

/**
 * The connections claims and heartbeats run on, which commit without waiting for the WAL flush
 * (synchronous_commit=off). Losing such a commit in a server crash is safe: a lost claim puts
 * the job back as queued at its previous attempt, so the worker's fenced settle finds no match
 * and the job runs again, as after a lost lease; a lost heartbeat only shortens a lease. What
 * it buys: a claim's row locks (the job's, and the queue counts its trigger updates, which
 * every claim shares) are released at commit, not one disk flush later, so concurrent claims
 * stop queueing behind each other's flushes. Settles stay on the durable pool. Opened lazily:
 * a process without workers never connects it. Migrations run on the main pool first.
 */
export function openClaimPool(options: PostgresOptions): Pool {
  const pool = new Pool({ ...connectionConfig(options, 'claims'), max: options.poolSize ?? 10 });
  pool.on('error', () => {});
  return pool;
}

/** The NOTIFY channel of one schema, so installs sharing a database do not wake each other. */
export function channelName(schema: string): string {
  return `modelgate_jobs_${schema}`;
}

export async function openPostgresPool(options: PostgresOptions): Promise<Pool> {
  const schema = validateSchemaName(options.schema ?? 'public');
  const pool = new Pool({ ...connectionConfig(options, 'pool'), max: options.poolSize ?? 10 });
  // An idle connection that dies (server restart, pg_terminate_backend) emits 'error' on the
  // pool; unhandled, that would crash the process. The pool replaces it on the next checkout,
  // and the query that needed it reports its own error to its caller.
  pool.on('error', () => {});
  try {
    await ensureSchema(pool, schema);
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    // kysely.destroy() would end the shared pool, so the migrator's instance is just dropped.
    await migrateWithRetry(() => migrateToLatest(kysely, 'postgres', schema));
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}

/**
 * The migrator looks for its table by listing the tables of every schema in the database, and
 * that listing fails with 3F000 "schema … does not exist" when another client creates or drops
 * a schema meanwhile (test runs sharing one database do, many times a second). Nothing was
 * migrated then (a migration runs in a transaction): try again after a moment.
 */
async function migrateWithRetry(migrate: () => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await migrate();
    } catch (error) {
      if (tries >= 10 || !/schema "[^"]+" does not exist/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * tries));
    }
  }
}

async function ensureSchema(pool: Pool, schema: string): Promise<void> {
  const found = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (found.rowCount !== 0) return;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    // Two processes creating the same schema at once: the loser's IF NOT EXISTS can still hit
    // the catalog's unique index. The schema exists either way, which is all we need.
    if ((error as { code?: string }).code !== '23505') throw error;
  }
}

/**
 * Holds one LISTEN connection and emits 'notification' with each payload on the channel.
 * When the connection drops it reconnects with backoff and emits 'reconnected', since
 * notifications sent meanwhile are lost and listeners should look for work once.
 */
export class NotificationListener extends EventEmitter {
  private client: Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new Client(this.config);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.emit('notification', message.payload ?? '');
    });
    // 'error' and 'end' both mean the live connection is finished: reconnect once for either.
    // Failures before it is live reject start() instead, and whoever called start() retries.
    const onLost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      void client.end().catch(() => {});
      if (!this.closed) this.scheduleReconnect(1);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private scheduleReconnect(attempt: number): void {
    const delay = Math.min(100 * 2 ** attempt, 5_000);
    this.retryTimer = setTimeout(() => {
      this.start().then(
        () => this.emit('reconnected'),
        () => {
          if (!this.closed) this.scheduleReconnect(attempt + 1);
        },
      );
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => {});
  }
}
