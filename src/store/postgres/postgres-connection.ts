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
  /** MODELGATE_DATABASE_TIMEOUT_MS: how long one statement may take (see `timeouts`). Default 30 s. */
  timeoutMs?: number;
}

/** The default of MODELGATE_DATABASE_TIMEOUT_MS (config.ts), for stores opened without it. */
const DEFAULT_DATABASE_TIMEOUT_MS = 30_000;
/** Connecting, or waiting for a free pooled connection, never takes longer than this. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;
/** How much longer than the server's own limit the client waits for any answer at all. */
const CLIENT_GRACE_MS = 2_000;
/**
 * A connection idle this long is probed (TCP keepalive). Node's libuv then probes once a second,
 * ten times (setsockopt TCP_KEEPINTVL 1, TCP_KEEPCNT 10, seen with strace on Node 20), so an idle
 * connection to a vanished host is closed about 20 s after its last traffic.
 */
const KEEPALIVE_IDLE_MS = 10_000;

/**
 * Every wait on PostgreSQL is bounded, so a request gets 503002 (and a worker backs off) rather
 * than hanging while the database is locked, overloaded or cut off:
 * - statement_timeout: the server cancels a statement that runs (or waits for a lock) longer
 *   than the limit; the connection stays usable. idle_in_transaction_session_timeout: a client
 *   that stops in the middle of a transaction (a frozen process) loses its session and its locks.
 * - query_timeout, a little longer: the client gives up on a connection that does not answer at
 *   all (a host cut off without a reset); the pool then drops that connection (postgres-store.ts).
 * - connectionTimeoutMillis: connecting, and waiting for a free pooled connection.
 * - TCP keepalive: an idle connection to a vanished host is found dead in about 20 s, not hours.
 * Migrations ('migrate') are not limited per statement: building an index over a large table
 * may take longer than any request should, and they run once, before the process serves.
 */
function timeouts(options: PostgresOptions, role: Role): Partial<ClientConfig> {
  const limit = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  const common = { connectionTimeoutMillis: Math.min(limit, MAX_CONNECT_TIMEOUT_MS), keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS };
  if (role === 'migrate') return { ...common, statement_timeout: 0, idle_in_transaction_session_timeout: 0 };
  return { ...common, statement_timeout: limit, idle_in_transaction_session_timeout: limit, query_timeout: limit + CLIENT_GRACE_MS };
}

type Role = 'pool' | 'listen' | 'claims' | 'migrate';

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
export function connectionConfig(options: PostgresOptions, role: Role): ClientConfig {
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
  // setting. An application_name in the URL is the operator's choice and is kept. The time
  // limits are startup parameters of their own, which PostgreSQL applies after `options`.
  const given = parseIntoClientConfig(options.url);
  return {
    ...given,
    ...timeouts(options, role),
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
  // Schema and migrations on a connection of their own, without the per-statement limit (timeouts()).
  const migrations = new Pool({ ...connectionConfig(options, 'migrate'), max: 1 });
  migrations.on('error', () => {});
  try {
    await ensureSchema(migrations, schema);
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: migrations }) });
    await migrateWithRetry(() => migrateToLatest(kysely, 'postgres', schema));
    await kysely.destroy();
  } catch (error) {
    await Promise.all([migrations.end().catch(() => {}), pool.end()]);
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
