/** The SQLite store's webhook statements (migration 0011), prepared once when first used. */
import type { Database, Statement } from 'better-sqlite3';

/** @internal (left out of the build's .d.ts: better-sqlite3's statement type cannot be named there) */
export function prepareWebhookStatements(db: Database) {
  const s = <P extends unknown[] | object = unknown[]>(sql: string): Statement<P> => db.prepare(sql);
  return {
    // One writer, so this statement is the whole claim. Fresh deliveries (next_at 0) come first,
    // in the order they were made; while an attempt runs, next_at is the end of its lease.
    // RETURNING is read with .all() (see claimNext in sqlite-statements.ts).
    claim: s(`UPDATE webhook_deliveries SET state = 'delivering', attempts = attempts + 1, next_at = @lease_until,
        first_attempt_at = coalesce(first_attempt_at, @now)
      WHERE id = (SELECT id FROM webhook_deliveries WHERE state IN ('pending', 'delivering') AND next_at <= @now
        ORDER BY next_at, id LIMIT 1)
      RETURNING id, job_id, owner_key_id, event, url, attempts, first_attempt_at, created_at`),
    settle: s(`UPDATE webhook_deliveries SET state = @state, next_at = @next_at, last_status = @last_status,
        last_error = @last_error, finished_at = @finished_at
      WHERE id = @id AND attempts = @attempts AND state = 'delivering'`),
    state: s(`SELECT j.webhook_events, d.state, d.attempts FROM jobs j
      LEFT JOIN webhook_deliveries d ON d.job_id = j.id AND d.event = 'completed'
      WHERE j.id = ?`),
    insertSetting: s(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
    getSetting: s(`SELECT value FROM settings WHERE name = ?`),
  };
}

/** @internal */
export type SqliteWebhookStatements = ReturnType<typeof prepareWebhookStatements>;
