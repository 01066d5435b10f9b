/**
 * Every SQL statement the SQLite store runs, prepared once when the store opens. The hot paths
 * (key lookup, status read, submit insert, claim) are each a single prepared statement.
 */
import type { Database, Statement } from 'better-sqlite3';
import { queuePositionSql } from '../migrations/queue-counts.ts';

function usageSql(group: string, grouping: string): string {
  return `SELECT ${group} AS grp, count(*) AS jobs, coalesce(sum(output_count), 0) AS output_count,
      coalesce(sum(output_ms), 0) AS output_ms, coalesce(sum(cost_microusd), 0) AS cost_microusd
    FROM jobs
    WHERE owner_key_id = @owner AND finished_at >= @from AND finished_at < @to AND state IN ('succeeded', 'failed')
    ${grouping}`;
}

/** @internal (left out of the build's .d.ts: better-sqlite3's statement type cannot be named there) */
export function prepareStatements(db: Database) {
  const s = <P extends unknown[] | object = unknown[]>(sql: string): Statement<P> => db.prepare(sql);
  return {
    insertApiKey: s(`INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at, max_running)
      VALUES (@id, @name, @prefix, @hash, @created_at, NULL, @max_running)`),
    findApiKeyByHash: s(`SELECT * FROM api_keys WHERE hash = ?`),
    listApiKeys: s(`SELECT * FROM api_keys ORDER BY created_at, id`),
    revokeApiKey: s(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`),
    setApiKeyMaxRunning: s(`UPDATE api_keys SET max_running = ? WHERE id = ?`),

    insertFile: s(`INSERT INTO files (id, owner_key_id, blob_key, kind, content_type, size_bytes, sha256, width, height,
        duration_seconds, created_at, expires_at)
      VALUES (@id, @owner_key_id, @blob_key, @kind, @content_type, @size_bytes, @sha256, @width, @height,
        @duration_seconds, @created_at, @expires_at)`),
    getFile: s(`SELECT * FROM files WHERE id = ? AND owner_key_id = ?`),
    deleteExpiredFiles: s(`DELETE FROM files WHERE id IN (SELECT id FROM files WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
      RETURNING *`),

    // Idempotency keys: an expired row is dropped first, so the key can start a new job.
    dropExpiredIdempotencyKey: s(`DELETE FROM idempotency_keys WHERE owner_key_id = ? AND key = ? AND expires_at <= ?`),
    claimIdempotencyKey: s(`INSERT OR IGNORE INTO idempotency_keys (owner_key_id, key, request_hash, request_id, created_at, expires_at)
      VALUES (@owner, @key, @hash, @request_id, @now, @expires_at)`),
    getIdempotencyKey: s(`SELECT request_hash, request_id FROM idempotency_keys WHERE owner_key_id = ? AND key = ?`),

    insertJob: s(`INSERT INTO jobs (id, owner_key_id, model_id, input, ignored_fields, state, attempt, max_attempts, created_at,
        webhook_url, webhook_events)
      VALUES (@id, @owner_key_id, @model_id, @input, @ignored_fields, 'queued', 0, @max_attempts, @created_at,
        @webhook_url, @webhook_events)`),
    // One read answers a status poll, queue position included (bounded work at any depth:
    // migrations/queue-counts.ts).
    getJob: s(`SELECT j.*,
        CASE WHEN j.state = 'queued' THEN ${queuePositionSql('j')} END AS queue_position
      FROM jobs j WHERE j.id = ? AND j.owner_key_id = ? AND j.deleted_at IS NULL`),
    // A status poll's read: the same row and position as getJob, only the columns the answer shows.
    getJobStatus: s(`SELECT j.id, j.state, j.progress, j.ignored_fields,
        CASE WHEN j.state = 'queued' THEN ${queuePositionSql('j')} END AS queue_position
      FROM jobs j WHERE j.id = ? AND j.owner_key_id = ? AND j.deleted_at IS NULL`),
    cancelQueued: s(`UPDATE jobs SET state = 'cancelled', finished_at = @now
      WHERE id = @id AND owner_key_id = @owner AND state = 'queued' AND deleted_at IS NULL`),
    getState: s(`SELECT state FROM jobs WHERE id = ? AND owner_key_id = ? AND deleted_at IS NULL`),
    getJobAttemptState: s(`SELECT state, attempt, outputs FROM jobs WHERE id = ?`),

    // SQLite has one writer, so this single statement is the whole claim: no two workers can
    // both move the same row out of 'queued'. Statements with RETURNING are read with .all(),
    // never .get(): .get() stops at the first row and resets the statement, which is when an
    // autocommit statement commits, and a commit that fails there (disk full) is not reported,
    // so the caller would run a job whose claim was never saved.
    claimNext: s(`UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = @worker,
        lease_until = @lease_until, started_at = coalesce(started_at, @now), progress = NULL, not_before = NULL
      WHERE seq = (SELECT seq FROM jobs WHERE state = 'queued' AND (not_before IS NULL OR not_before <= @now)
          -- Skip jobs whose owner already runs its quota: the key's own max_running, else
          -- MODELGATE_MAX_RUNNING_PER_KEY (0 = no limit). One writer, so the count and the claim
          -- cannot be split.
          AND (SELECT CASE WHEN q.quota = 0 THEN 1
                 ELSE (SELECT count(*) FROM jobs r WHERE r.owner_key_id = jobs.owner_key_id AND r.state = 'running') < q.quota END
               FROM (SELECT coalesce((SELECT k.max_running FROM api_keys k WHERE k.id = jobs.owner_key_id), @max_running) AS quota) q)
          ORDER BY seq LIMIT 1)
      RETURNING id, owner_key_id, model_id, input, attempt, created_at`),
    heartbeat: s(`UPDATE jobs SET lease_until = @lease_until
      WHERE id = @id AND attempt = @attempt AND state = 'running'`),
    reportProgress: s(`UPDATE jobs SET progress = @progress
      WHERE id = @id AND attempt = @attempt AND state = 'running'`),
    // Usage is part of the settle: a job is never succeeded without what it cost, nor charged
    // for an attempt that lost its fence.
    complete: s(`UPDATE jobs SET state = 'succeeded', outputs = @outputs, progress = 1, finished_at = @now,
        worker_id = NULL, lease_until = NULL,
        output_count = @output_count, output_ms = @output_ms, cost_microusd = @cost_microusd,
        notices = @notices
      WHERE id = @id AND attempt = @attempt AND state = 'running'`),
    fail: s(`UPDATE jobs SET state = 'failed', error_type = @type, error_message = @message, finished_at = @now,
        worker_id = NULL, lease_until = NULL
      WHERE id = @id AND attempt = @attempt AND state = 'running'`),
    release: s(`UPDATE jobs SET state = 'queued', worker_id = NULL, lease_until = NULL, progress = NULL
      WHERE id = @id AND attempt = @attempt AND state = 'running'`),
    // A retryable engine failure spends the budget a lost lease would; past it, the job fails
    // with the engine's error. One statement, so the decision and the write cannot be split.
    retry: s(`UPDATE jobs SET lost_leases = lost_leases + 1, worker_id = NULL, lease_until = NULL, progress = NULL,
        not_before = @not_before,
        state = CASE WHEN lost_leases + 1 >= max_attempts THEN 'failed' ELSE 'queued' END,
        finished_at = CASE WHEN lost_leases + 1 >= max_attempts THEN @now END,
        error_type = CASE WHEN lost_leases + 1 >= max_attempts THEN @type END,
        error_message = CASE WHEN lost_leases + 1 >= max_attempts THEN @message END
      WHERE id = @id AND attempt = @attempt AND state = 'running'
      RETURNING state`),
    // GET /v1/usage: one aggregate over the (owner_key_id, finished_at) index. Cancelled jobs never ran.
    usageTotal: s(usageSql(`NULL`, '')),
    usageByModel: s(usageSql(`model_id`, 'GROUP BY model_id ORDER BY grp')),
    usageByDay: s(usageSql(`date(finished_at / 1000, 'unixepoch')`, 'GROUP BY grp ORDER BY grp')),
    // /metrics: the queue and the running jobs per model, one grouped count.
    loadByModel: s(`SELECT model_id, sum(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued,
        sum(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS running
      FROM jobs WHERE state IN ('queued', 'running') GROUP BY model_id ORDER BY model_id`),
    // Rate windows: one upsert counts a request and reads the window's total (RETURNING: .all()).
    hitRateWindow: s(`INSERT INTO rate_windows (key, window_start, hits) VALUES (?, ?, 1)
      ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1
      RETURNING hits`),
    pruneRateWindows: s(`DELETE FROM rate_windows WHERE window_start < ?`),
    // GET /v1/requests: one range of jobs_owner_history (owner, seq DESC) from the cursor down;
    // the filters only drop rows from it. @before is always set (no cursor: past the newest), so
    // the seq bound is an index bound, never a filter.
    // INDEXED BY: the planner would otherwise walk the rowid backwards when most rows are the
    // key's, which reads every newer row of other keys first (migrations/request-history.ts).
    listJobs: s(`SELECT * FROM jobs INDEXED BY jobs_owner_history
      WHERE owner_key_id = @owner AND deleted_at IS NULL AND seq < @before
        AND (@model IS NULL OR model_id = @model)
        AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
        AND (@since IS NULL OR created_at >= @since)
      ORDER BY seq DESC LIMIT @limit`),
    // Deletion: only a finished job, once; its input and outputs go, its accounting stays.
    tombstoneJob: s(`UPDATE jobs SET deleted_at = @now, input = '{}', outputs = NULL, ignored_fields = NULL, error_message = NULL
      WHERE id = @id AND owner_key_id = @owner AND deleted_at IS NULL AND state IN ('succeeded', 'failed', 'cancelled')`),
    // Retention: the oldest finished jobs of every key, through jobs_retention.
    listFinishedBefore: s(`SELECT id, owner_key_id, outputs, input FROM jobs
      WHERE deleted_at IS NULL AND finished_at IS NOT NULL AND finished_at <= ? AND state IN ('succeeded', 'failed', 'cancelled')
      ORDER BY finished_at LIMIT ?`),
    listExpired: s(`SELECT id, attempt, lost_leases, max_attempts FROM jobs
      WHERE state = 'running' AND lease_until < ?`),
    // Both settle an expired lease, fenced like every worker write so a late heartbeat or a
    // second sweeper cannot make a job lose the same lease twice.
    requeueExpired: s(`UPDATE jobs SET state = 'queued', lost_leases = lost_leases + 1,
        worker_id = NULL, lease_until = NULL, progress = NULL
      WHERE id = @id AND attempt = @attempt AND state = 'running' AND lease_until < @now`),
    failExpired: s(`UPDATE jobs SET state = 'failed', lost_leases = lost_leases + 1, finished_at = @now,
        error_type = 'worker_lost', error_message = @message, worker_id = NULL, lease_until = NULL
      WHERE id = @id AND attempt = @attempt AND state = 'running' AND lease_until < @now`),
  };
}

/** @internal */
export type SqliteStatements = ReturnType<typeof prepareStatements>;
