/**
 * Migration 0011: webhooks. A job submitted with `?webhook=` carries its URL and the events it
 * asked for (a bit set, WEBHOOK_EVENT_BITS); each event to send is a row of
 * `webhook_deliveries`, claimed by the delivery loops like a job (src/webhooks/dispatcher.ts).
 *
 * Deliveries are made by a trigger on jobs, so the row is written in the transaction of the
 * statement that changed the job (a settle, a cancel, a sweep that fails the job, a claim, a
 * progress write) and none is lost between a commit and a crash, whichever statement that is,
 * including statements written after this migration. The trigger's WHEN clause is
 * `webhook_events IS NOT NULL`, so a job without a webhook (nearly all) costs one NULL test and
 * nothing else; heartbeats change neither column the trigger is declared on and never fire it.
 *
 * `settings` holds install-wide values every process on the database shares, first the
 * generated webhook signing secret (insert-if-absent, then read: two processes starting at
 * once agree on one secret).
 */
import { type Kysely, sql } from 'kysely';
import type { SqlFlavour } from './migrations.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** The events a webhook may ask for, and their bits in jobs.webhook_events. */
export const WEBHOOK_EVENT_BITS = { completed: 1, start: 2, progress: 4 } as const;

const TERMINAL = `('succeeded', 'failed', 'cancelled')`;

/** The NOTIFY channel the PostgreSQL trigger wakes delivery loops on (one per schema). */
export function webhookChannelName(schema: string): string {
  return `modelgate_webhooks_${schema}`;
}

async function postgresTrigger(db: AnyDb): Promise<void> {
  // SET search_path FROM CURRENT: the function finds this install's tables (and names this
  // install's channel) whatever search_path the statement runs with.
  await sql
    .raw(
      `CREATE FUNCTION webhook_deliveries_on_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    DECLARE
      ev text;
      at bigint;
    BEGIN
      IF NEW.state IN ${TERMINAL} AND OLD.state NOT IN ${TERMINAL} THEN
        IF NEW.webhook_events & ${WEBHOOK_EVENT_BITS.completed} = 0 THEN RETURN NULL; END IF;
        ev := 'completed';
        at := coalesce(NEW.finished_at, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
      ELSIF OLD.state = 'queued' AND NEW.state = 'running' AND OLD.started_at IS NULL THEN
        IF NEW.webhook_events & ${WEBHOOK_EVENT_BITS.start} = 0 THEN RETURN NULL; END IF;
        ev := 'start';
        at := NEW.started_at;
      ELSIF OLD.state = 'running' AND NEW.state = 'running' AND NEW.progress IS NOT NULL AND NEW.progress IS DISTINCT FROM OLD.progress THEN
        IF NEW.webhook_events & ${WEBHOOK_EVENT_BITS.progress} = 0 THEN RETURN NULL; END IF;
        -- Coalesced: a progress delivery not yet sent will send the newest progress anyway.
        IF EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.job_id = NEW.id AND d.event = 'progress' AND d.state = 'pending') THEN
          RETURN NULL;
        END IF;
        ev := 'progress';
        at := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
      ELSE
        RETURN NULL;
      END IF;
      INSERT INTO webhook_deliveries (job_id, owner_key_id, event, url, state, attempts, next_at, created_at)
        VALUES (NEW.id, NEW.owner_key_id, ev, NEW.webhook_url, 'pending', 0, 0, at);
      -- Delivered by PostgreSQL only when this transaction commits.
      PERFORM pg_notify('modelgate_webhooks_' || current_schema(), '');
      RETURN NULL;
    END $$`,
    )
    .execute(db);
  await sql.raw(`CREATE TRIGGER jobs_webhook_deliveries AFTER UPDATE OF state, progress ON jobs FOR EACH ROW
    WHEN (NEW.webhook_events IS NOT NULL) EXECUTE FUNCTION webhook_deliveries_on_change()`).execute(db);
}

function sqliteInsert(event: string, at: string, when: string): string {
  return `INSERT INTO webhook_deliveries (job_id, owner_key_id, event, url, state, attempts, next_at, created_at)
      SELECT new.id, new.owner_key_id, '${event}', new.webhook_url, 'pending', 0, 0, ${at} WHERE ${when};`;
}

async function sqliteTrigger(db: AnyDb): Promise<void> {
  const nowMs = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
  await sql.raw(`CREATE TRIGGER jobs_webhook_deliveries AFTER UPDATE OF state, progress ON jobs
    WHEN new.webhook_events IS NOT NULL
    BEGIN
      ${sqliteInsert('completed', `coalesce(new.finished_at, ${nowMs})`, `(new.webhook_events & ${WEBHOOK_EVENT_BITS.completed}) <> 0
        AND new.state IN ${TERMINAL} AND old.state NOT IN ${TERMINAL}`)}
      ${sqliteInsert('start', 'new.started_at', `(new.webhook_events & ${WEBHOOK_EVENT_BITS.start}) <> 0
        AND old.state = 'queued' AND new.state = 'running' AND old.started_at IS NULL`)}
      ${sqliteInsert('progress', nowMs, `(new.webhook_events & ${WEBHOOK_EVENT_BITS.progress}) <> 0
        AND old.state = 'running' AND new.state = 'running' AND new.progress IS NOT NULL AND new.progress IS NOT old.progress
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.job_id = new.id AND d.event = 'progress' AND d.state = 'pending')`)}
    END`).execute(db);
}

export async function addWebhooks(db: AnyDb, flavour: SqlFlavour): Promise<void> {
  const epochMs = flavour === 'postgres' ? 'bigint' : 'integer';
  // NULL for a job without a webhook: the trigger's WHEN clause tests webhook_events.
  await db.schema.alterTable('jobs').addColumn('webhook_url', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('webhook_events', 'integer').execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', flavour === 'postgres' ? 'bigserial' : 'integer', (c) => (flavour === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('owner_key_id', 'text', (c) => c.notNull())
    // completed | start | progress
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    // pending (never tried) | delivering (in flight, or waiting for a retry) | delivered | failed
    .addColumn('state', 'text', (c) => c.notNull())
    // The fencing token of a delivery: every claim adds one, every outcome names it.
    .addColumn('attempts', 'integer', (c) => c.notNull())
    // When it may be claimed: 0 for a new one (due at once, before any retry), the retry time
    // after a failed attempt, or the end of the lease while an attempt is in flight.
    .addColumn('next_at', epochMs, (c) => c.notNull())
    .addColumn('first_attempt_at', epochMs)
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', epochMs, (c) => c.notNull())
    .addColumn('finished_at', epochMs)
    .execute();
  // The loops' claim: the due deliveries in order; delivered and failed ones leave the index.
  await sql`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at, id) WHERE state IN ('pending', 'delivering')`.execute(db);
  // The result route's webhook state and the progress coalescing read deliveries by job.
  await db.schema.createIndex('webhook_deliveries_job').on('webhook_deliveries').columns(['job_id', 'event']).execute();
  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await (flavour === 'postgres' ? postgresTrigger(db) : sqliteTrigger(db));
}
