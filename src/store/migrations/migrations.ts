/**
 * Schema migrations, written once with Kysely's schema builder so that SQLite and PostgreSQL
 * share them. Where the two need different column types, the flavour says which.
 * Migrations only ever get added; a released one is never edited.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { addQueueCounts } from './queue-counts.ts';
import { addWebhooks } from './webhooks.ts';
import { addJobNotices } from './job-notices.ts';
import { addRequestHistory } from './request-history.ts';

export type SqlFlavour = 'sqlite' | 'postgres';

// The schema builder needs a database type; migrations run before any typed query exists.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function migrations(flavour: SqlFlavour): Record<string, Migration> {
  const epochMs = flavour === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_initial': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', epochMs, (c) => c.notNull())
          .addColumn('revoked_at', epochMs)
          .execute();

        await db.schema
          .createTable('jobs')
          // `seq` orders the queue (FIFO); `id` is the public, unguessable request id.
          .addColumn('seq', flavour === 'postgres' ? 'bigserial' : 'integer', (c) =>
            flavour === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('owner_key_id', 'text', (c) => c.notNull())
          .addColumn('model_id', 'text', (c) => c.notNull())
          .addColumn('input', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('lost_leases', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('worker_id', 'text')
          .addColumn('lease_until', epochMs)
          .addColumn('progress', flavour === 'postgres' ? 'double precision' : 'real')
          .addColumn('outputs', 'text')
          .addColumn('error_type', 'text')
          .addColumn('error_message', 'text')
          .addColumn('created_at', epochMs, (c) => c.notNull())
          .addColumn('started_at', epochMs)
          .addColumn('finished_at', epochMs)
          .execute();

        // The queue: claims take the lowest seq, queue positions count the queued seqs below.
        await sql`CREATE INDEX jobs_queued_seq ON jobs (seq) WHERE state = 'queued'`.execute(db);
        // The sweeper's scan for leases that ran out.
        await sql`CREATE INDEX jobs_running_lease ON jobs (lease_until) WHERE state = 'running'`.execute(db);
      },
    },
    '0002_files': {
      async up(db: AnyDb) {
        // Uploads (POST /v1/files), measured once when uploaded so submits can check file rules
        // without reading the file again.
        await db.schema
          .createTable('files')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('owner_key_id', 'text', (c) => c.notNull())
          .addColumn('blob_key', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('size_bytes', epochMs, (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('width', 'integer')
          .addColumn('height', 'integer')
          .addColumn('duration_seconds', flavour === 'postgres' ? 'double precision' : 'real')
          .addColumn('created_at', epochMs, (c) => c.notNull())
          .addColumn('expires_at', epochMs, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('files_expires_at').on('files').column('expires_at').execute();
      },
    },
    '0003_idempotency_keys': {
      async up(db: AnyDb) {
        // Idempotency-Key on submit: one row per (key owner, key), naming the job it created.
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('owner_key_id', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('created_at', epochMs, (c) => c.notNull())
          .addColumn('expires_at', epochMs, (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['owner_key_id', 'key'])
          .execute();
      },
    },
    '0004_retry_not_before': {
      async up(db: AnyDb) {
        // A queued job requeued after a storage fault waits until `not_before` (epoch ms) before
        // it can be claimed again, so a full disk does not spend its retry budget in a second.
        await db.schema.alterTable('jobs').addColumn('not_before', epochMs).execute();
      },
    },
    '0005_costs': {
      async up(db: AnyDb) {
        // What a job produced and cost, written by the statement that settles it, so a later
        // price change never changes it. Integers (milliseconds, millionths of a dollar) so that
        // GET /v1/usage sums exactly. Jobs settled before this migration count 0.
        const wholeNumber = flavour === 'postgres' ? 'bigint' : 'integer';
        for (const column of ['output_count', 'output_ms', 'cost_microusd']) {
          await db.schema.alterTable('jobs').addColumn(column, wholeNumber, (c) => c.notNull().defaultTo(0)).execute();
        }
        // GET /v1/usage reads one key's jobs by the time they finished.
        await db.schema.createIndex('jobs_owner_finished').on('jobs').columns(['owner_key_id', 'finished_at']).execute();
      },
    },
    '0006_ignored_fields': {
      async up(db: AnyDb) {
        // The submitted fields a job runs without (MODELGATE_UNKNOWN_INPUTS=ignore), as a JSON
        // array; NULL when there were none, which is nearly always.
        await db.schema.alterTable('jobs').addColumn('ignored_fields', 'text').execute();
      },
    },
    '0007_queue_positions': {
      async up(db: AnyDb) {
        // Queued-job counts per range of seqs, kept by triggers, so queue_position stays cheap
        // at any depth (queue-counts.ts says how).
        await addQueueCounts(db, flavour);
      },
    },
    '0008_queue_indexes': {
      async up(db: AnyDb) {
        // A PostgreSQL update is HOT (no index touched, no new index entries) only when it
        // changes no column an index names, in its key or its predicate. Claims and settles move
        // `state`, which the queue's partial indexes must name, so they are never HOT; what they
        // can be spared is writing entries into indexes that do not need the row:
        // - the usage index holds finished jobs only, so submits and claims skip it;
        // - the running jobs' index is keyed on owner_key_id (set at submit, never changed), not
        //   lease_until, so heartbeats change no indexed column and can be HOT. The sweeper reads
        //   every running job through it (a few per worker slot) and checks the lease on the row.
        await sql`DROP INDEX jobs_owner_finished`.execute(db);
        await sql`CREATE INDEX jobs_owner_finished ON jobs (owner_key_id, finished_at) WHERE finished_at IS NOT NULL`.execute(db);
        await sql`DROP INDEX jobs_running_lease`.execute(db);
        await sql`CREATE INDEX jobs_running ON jobs (owner_key_id) WHERE state = 'running'`.execute(db);
        // Room on each page for the new version of a row, which a HOT update needs (heartbeats,
        // progress). Applies to pages written from now on.
        if (flavour === 'postgres') await sql`ALTER TABLE jobs SET (fillfactor = 85)`.execute(db);
      },
    },
    '0009_limits': {
      async up(db: AnyDb) {
        // Shared per-key rate limits (PostgreSQL; SQLite keeps them in memory, see
        // limits/rate-limit.ts): one row per key per fixed window, counted by an upsert per
        // request and pruned by the janitor once the window is over.
        await db.schema
          .createTable('rate_windows')
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('window_start', epochMs, (c) => c.notNull())
          .addColumn('hits', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('rate_windows_pk', ['key', 'window_start'])
          .execute();
        // MODELGATE_MAX_RUNNING_PER_KEY: the claim counts the candidate owner's running jobs through
        // 0008's jobs_running (owner_key_id) WHERE state = 'running'; a second index would be
        // written by every claim for nothing.
      },
    },
    '0011_webhooks': {
      async up(db: AnyDb) {
        // Webhooks: the URL and events on the job, a row per delivery made by a trigger on jobs,
        // and install-wide settings (the generated signing secret). webhooks.ts says how.
        await addWebhooks(db, flavour);
      },
    },
    '0014_job_notices': { up: (db: AnyDb) => addJobNotices(db) },
    '0010_request_history': {
      async up(db: AnyDb) {
        // Tombstones (deleted_at), the history's keyset index and the retention index (request-history.ts).
        await addRequestHistory(db, flavour);
      },
    },
    '0012_key_limits': {
      async up(db: AnyDb) {
        // A key's own running-jobs quota (NULL: the install's MODELGATE_MAX_RUNNING_PER_KEY).
        await db.schema.alterTable('api_keys').addColumn('max_running', 'integer').execute();
      },
    },
  };
}

/**
 * `schema` (PostgreSQL only) names where the bookkeeping tables live. Without it Kysely looks for
 * them in every schema of the database, so a second install in another schema would believe it
 * was already migrated. The tables themselves follow the connection's search_path.
 */
export async function migrateToLatest(db: AnyDb, flavour: SqlFlavour, schema?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(flavour) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'modelgate_migrations',
    migrationLockTableName: 'modelgate_migrations_lock',
    // Features land in parallel branches, each with its own numbered migration; a database that
    // ran a later number first must still take an earlier one that arrives after it.
    allowUnorderedMigrations: true,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`);
  }
}
