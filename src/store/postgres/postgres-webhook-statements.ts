/** The PostgreSQL store's webhook statements (migration 0011); named, so prepared once per connection. */
import type { NamedStatement } from './postgres-statements.ts';

const statement = (name: string, text: string): NamedStatement => ({ name: `modelgate_webhook_${name}`, text });

export const WEBHOOK_SQL = {
  // SKIP LOCKED: concurrent loops each take a different due delivery; the picked row is checked
  // again against the due condition before it is taken. Fresh deliveries (next_at 0) come first.
  // $1 now, $2 lease end.
  claim: statement('claim', `UPDATE webhook_deliveries SET state = 'delivering', attempts = attempts + 1, next_at = $2,
      first_attempt_at = coalesce(first_attempt_at, $1)
    WHERE id = (SELECT id FROM webhook_deliveries WHERE state IN ('pending', 'delivering') AND next_at <= $1
        ORDER BY next_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
      AND state IN ('pending', 'delivering')
    RETURNING id, job_id, owner_key_id, event, url, attempts, first_attempt_at, created_at`),
  // Fenced on (id, attempts): an attempt whose lease ran out and was claimed again records nothing.
  settle: statement('settle', `UPDATE webhook_deliveries SET state = $3, next_at = $4, last_status = $5, last_error = $6, finished_at = $7
    WHERE id = $1 AND attempts = $2 AND state = 'delivering'`),
  state: statement('state', `SELECT j.webhook_events, d.state, d.attempts FROM jobs j
    LEFT JOIN webhook_deliveries d ON d.job_id = j.id AND d.event = 'completed'
    WHERE j.id = $1`),
  // Insert-if-absent, then read, as two statements: a concurrent insert of the same name makes
  // the first wait for its commit and do nothing, and only a new statement's snapshot sees it.
  insertSetting: statement('insert_setting', `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`),
  getSetting: statement('get_setting', `SELECT value FROM settings WHERE name = $1`),
} as const satisfies Record<string, NamedStatement>;
