/**
 * Every SQL statement the PostgreSQL store runs. Each has a fixed text and a name, so pg
 * prepares it once per pooled connection and later runs only send the name and the values.
 * Columns are listed instead of `*`: a prepared statement whose result shape changes under it
 * (a later migration adding a column) fails with "cached plan must not change result type".
 *
 * Wake-ups ride inside the statements that make a job claimable: pg_notify in the same
 * statement is delivered by PostgreSQL only when that transaction commits, so a listener never
 * hears of a job it cannot yet see, and a crash between commit and notify cannot lose one.
 */
import { queuePositionSql } from '../migrations/queue-counts.ts';

export interface NamedStatement {
  name: string;
  text: string;
}

const JOB_COLUMNS = `j.seq, j.id, j.owner_key_id, j.model_id, j.input, j.ignored_fields, j.state, j.attempt, j.max_attempts,
  j.lost_leases, j.worker_id, j.lease_until, j.progress, j.outputs, j.error_type, j.error_message,
  j.created_at, j.started_at, j.finished_at, j.output_count, j.output_ms, j.cost_microusd, j.notices`;

const statement = (name: string, text: string): NamedStatement => ({ name: `modelgate_${name}`, text });

// $1 owner, $2 from, $3 to (epoch ms).
function usageSql(group: string, grouping: string): string {
  return `SELECT ${group} AS grp, count(*) AS jobs, coalesce(sum(output_count), 0) AS output_count,
      coalesce(sum(output_ms), 0) AS output_ms, coalesce(sum(cost_microusd), 0) AS cost_microusd
    FROM jobs
    WHERE owner_key_id = $1 AND finished_at >= $2 AND finished_at < $3 AND state IN ('succeeded', 'failed')
    ${grouping}`;
}

export const SQL = {
  insertApiKey: statement('insert_api_key', `INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at, max_running)
    VALUES ($1, $2, $3, $4, $5, NULL, $6)`),
  findApiKeyByHash: statement('find_api_key', `SELECT id, name, prefix, hash, created_at, revoked_at, max_running FROM api_keys WHERE hash = $1`),
  listApiKeys: statement('list_api_keys', `SELECT id, name, prefix, hash, created_at, revoked_at, max_running FROM api_keys ORDER BY created_at, id`),
  revokeApiKey: statement('revoke_api_key', `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`),
  setApiKeyMaxRunning: statement('set_api_key_max_running', `UPDATE api_keys SET max_running = $2 WHERE id = $1`),

  insertFile: statement('insert_file', `INSERT INTO files (id, owner_key_id, blob_key, kind, content_type, size_bytes, sha256,
      width, height, duration_seconds, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`),
  getFile: statement('get_file', `SELECT id, owner_key_id, blob_key, kind, content_type, size_bytes, sha256, width, height,
      duration_seconds, created_at, expires_at
    FROM files WHERE id = $1 AND owner_key_id = $2`),

  deleteExpiredFiles: statement('delete_expired_files', `DELETE FROM files WHERE id IN (
      SELECT id FROM files WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING id, owner_key_id, blob_key, kind, content_type, size_bytes, sha256, width, height,
      duration_seconds, created_at, expires_at`),

  // A whole submit batch in one statement: parallel arrays, one element per job. WITH
  // ORDINALITY … ORDER BY keeps the batch's submission order in `seq`, which is the FIFO order.
  // $7/$8: NOTIFY channel and payload; $9: ignored_fields (NULL elements for none); $10/$11: webhook URL and events (NULL for none).
  insertJobs: statement('insert_jobs', `WITH inserted AS (
      INSERT INTO jobs (id, owner_key_id, model_id, input, ignored_fields, state, attempt, max_attempts, created_at, webhook_url, webhook_events)
      SELECT id, owner_key_id, model_id, input, ignored_fields, 'queued', 0, max_attempts, created_at, webhook_url, webhook_events
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $9::text[], $10::text[], $11::int[])
        WITH ORDINALITY AS batch(id, owner_key_id, model_id, input, max_attempts, created_at, ignored_fields, webhook_url, webhook_events, ord)
      ORDER BY ord
      RETURNING 1)
    SELECT pg_notify($7, $8) WHERE EXISTS (SELECT 1 FROM inserted)`),
  // Idempotency keys (run together in one transaction by insertJobOnce).
  dropExpiredIdempotencyKey: statement('drop_expired_idem', `DELETE FROM idempotency_keys WHERE owner_key_id = $1 AND key = $2 AND expires_at <= $3`),
  // A concurrent transaction inserting the same key makes this wait for its commit, then do nothing.
  claimIdempotencyKey: statement('claim_idem', `INSERT INTO idempotency_keys (owner_key_id, key, request_hash, request_id, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING request_id`),
  getIdempotencyKey: statement('get_idem', `SELECT request_hash, request_id FROM idempotency_keys WHERE owner_key_id = $1 AND key = $2`),

  // One read answers a status poll, queue position included (bounded work at any depth:
  // migrations/queue-counts.ts). One statement, so the rows and the counts share a snapshot.
  getJob: statement('get_job', `SELECT ${JOB_COLUMNS},
      CASE WHEN j.state = 'queued' THEN ${queuePositionSql('j')} END AS queue_position
    FROM jobs j WHERE j.id = $1 AND j.owner_key_id = $2 AND j.deleted_at IS NULL`),
  // Every status poll's read (getJobStatus): the same row and position as getJob, only the
  // columns the answer shows. The polls of one event-loop turn, or of one round trip under load,
  // share the statement (PostgresStore groups them). $1 ids, $2 owners: JSON arrays of strings in
  // the polls' order. The answer is one row holding a JSON array with one [n, state, progress,
  // ignored_fields, queue_position] per job found (n: its poll's 1-based place); an unknown id,
  // another owner's job or a deleted one has none. JSON both ways because the pg client's
  // per-value work (escaping array elements, parsing each column of each row) was most of a
  // batched poll's cost; JSON.parse does it natively. The jobs are looked up LATERAL, one index
  // probe per poll (LIMIT 1 keeps the planner from flattening it; ids are unique): a plain join
  // let the planner, which guesses 100 rows for the JSON arrays, hash-join them to a scan of
  // every stored job.
  getJobStatuses: statement('get_job_statuses', `SELECT json_agg(json_build_array(b.n, j.state, j.progress, j.ignored_fields::json,
      CASE WHEN j.state = 'queued' THEN ${queuePositionSql('j')} END)) AS statuses
    FROM ROWS FROM (json_array_elements_text($1::json), json_array_elements_text($2::json)) WITH ORDINALITY AS b(id, owner_key_id, n)
    CROSS JOIN LATERAL (SELECT j.seq, j.state, j.progress, j.ignored_fields FROM jobs j
      WHERE j.id = b.id AND j.owner_key_id = b.owner_key_id AND j.deleted_at IS NULL LIMIT 1) j`),
  // The whole cancel decision is this one conditional UPDATE. A claim holds the row lock from
  // its SKIP LOCKED pick to its commit; this UPDATE waits for it and re-checks state='queued'
  // on the committed row, so exactly one of the two changes the job.
  cancelQueued: statement('cancel_queued', `UPDATE jobs SET state = 'cancelled', finished_at = $3
    WHERE id = $1 AND owner_key_id = $2 AND state = 'queued' AND deleted_at IS NULL`),
  getState: statement('get_state', `SELECT state FROM jobs WHERE id = $1 AND owner_key_id = $2 AND deleted_at IS NULL`),
  getJobAttemptState: statement('get_job_attempt_state', `SELECT state, attempt, outputs FROM jobs WHERE id = $1`),

  // SKIP LOCKED lets concurrent claimers each lock a different queued row instead of queueing
  // up behind the first; the locked row is re-checked against state='queued' before it is taken.
  claimNext: statement('claim_next', `UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = $1,
      lease_until = $2, started_at = coalesce(started_at, $3), progress = NULL, not_before = NULL
    WHERE seq = (SELECT seq FROM jobs WHERE state = 'queued' AND (not_before IS NULL OR not_before <= $3)
        -- Skip jobs whose owner already runs its quota: the key's own max_running, else
        -- MODELGATE_MAX_RUNNING_PER_KEY ($4; 0 = no limit). Concurrent claims can both pass
        -- this; PostgresStore.claimNext re-checks under a lock when the quota is not 0.
        AND (SELECT q.quota = 0 OR (SELECT count(*) FROM jobs r WHERE r.owner_key_id = jobs.owner_key_id AND r.state = 'running') < q.quota
             FROM (SELECT coalesce((SELECT k.max_running FROM api_keys k WHERE k.id = jobs.owner_key_id), $4::int) AS quota) q)
        ORDER BY seq FOR UPDATE SKIP LOCKED LIMIT 1)
      AND state = 'queued'
    RETURNING id, owner_key_id, model_id, input, attempt, created_at,
      coalesce((SELECT k.max_running FROM api_keys k WHERE k.id = jobs.owner_key_id), $4::int) AS quota`),
  // claimNext for several idle slots of one process at once (PostgresStore groups the claims of
  // one event-loop turn): up to one job per slot, the n-th oldest claimable job to the n-th slot.
  // $1/$2: the slots' worker ids and lease ends; $3, $4 and the limit check as in claimNext.
  claimBatch: statement('claim_batch', `WITH slots AS (
      SELECT worker_id, lease_until, n FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS s(worker_id, lease_until, n)),
    picked AS (
      SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM (
        SELECT seq FROM jobs WHERE state = 'queued' AND (not_before IS NULL OR not_before <= $3)
          -- The same limit check as claimNext's.
          AND (SELECT q.quota = 0 OR (SELECT count(*) FROM jobs r WHERE r.owner_key_id = jobs.owner_key_id AND r.state = 'running') < q.quota
               FROM (SELECT coalesce((SELECT k.max_running FROM api_keys k WHERE k.id = jobs.owner_key_id), $4::int) AS quota) q)
          ORDER BY seq FOR UPDATE SKIP LOCKED LIMIT cardinality($1::text[])) candidates)
    UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = s.worker_id,
      lease_until = s.lease_until, started_at = coalesce(started_at, $3), progress = NULL, not_before = NULL
    FROM picked p JOIN slots s ON s.n = p.n
    -- No state = 'queued' test here: picked locked each row FOR UPDATE, which re-checked it on
    -- the row's latest version, and the lock holds until commit. With the test, the planner could
    -- (and under stale statistics did) scan the queue's partial index as the outer side of the
    -- join, every queued job once per claim, instead of looking up the picked seqs by key.
    WHERE jobs.seq = p.seq
    RETURNING s.n AS slot, jobs.id, jobs.owner_key_id, jobs.model_id, jobs.input, jobs.attempt, jobs.created_at,
      coalesce((SELECT k.max_running FROM api_keys k WHERE k.id = jobs.owner_key_id), $4::int) AS quota`),
  heartbeat: statement('heartbeat', `UPDATE jobs SET lease_until = $3
    WHERE id = $1 AND attempt = $2 AND state = 'running'`),
  reportProgress: statement('report_progress', `UPDATE jobs SET progress = $3
    WHERE id = $1 AND attempt = $2 AND state = 'running'`),
  // Usage ($5-$7) is part of the settle: a job is never succeeded without what it cost, nor
  // charged for an attempt that lost its fence. $8: the engine's notices (JSON, NULL for none).
  complete: statement('complete', `UPDATE jobs SET state = 'succeeded', outputs = $3, progress = 1, finished_at = $4,
      worker_id = NULL, lease_until = NULL, output_count = $5, output_ms = $6, cost_microusd = $7,
      notices = $8
    WHERE id = $1 AND attempt = $2 AND state = 'running'`),
  // complete for every attempt of one process that finished in one event-loop turn: one statement,
  // one transaction, one WAL flush, each row fenced as in complete. Parallel arrays in complete's
  // order ($1 id … $8 notices); the (id, attempt) pairs that settled come back.
  // $9/$10: the wake-up channel and payload prefix: one NOTIFY naming every completed job (comma
  // separated; the batch is sized to fit, SETTLED_IDS_PER_NOTIFY in postgres-store.ts) is sent by this
  // statement's own commit (Prefer: wait in other processes), not by a statement of its own, and
  // not one per job: each notification costs every listening connection a message to read.
  completeBatch: statement('complete_batch', `WITH completed AS (
      UPDATE jobs j SET state = 'succeeded', outputs = s.outputs, progress = 1,
        finished_at = s.finished_at, worker_id = NULL, lease_until = NULL, output_count = s.output_count,
        output_ms = s.output_ms, cost_microusd = s.cost_microusd, notices = s.notices
      FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[])
        AS s(id, attempt, outputs, finished_at, output_count, output_ms, cost_microusd, notices)
      WHERE j.id = s.id AND j.attempt = s.attempt AND j.state = 'running'
      RETURNING j.id, j.attempt),
      announced AS (SELECT pg_notify($9, $10 || string_agg(id, ',')) AS sent FROM completed HAVING count(*) > 0)
    SELECT c.id, c.attempt, a.sent FROM completed c CROSS JOIN announced a`),
  fail: statement('fail', `UPDATE jobs SET state = 'failed', error_type = $3, error_message = $4, finished_at = $5,
      worker_id = NULL, lease_until = NULL
    WHERE id = $1 AND attempt = $2 AND state = 'running'`),
  // $3/$4: NOTIFY channel and payload, sent only when the job was really given back.
  release: statement('release', `WITH released AS (
      UPDATE jobs SET state = 'queued', worker_id = NULL, lease_until = NULL, progress = NULL
      WHERE id = $1 AND attempt = $2 AND state = 'running'
      RETURNING id)
    SELECT id, pg_notify($3, $4) FROM released`),

  // A retryable engine failure spends the budget a lost lease would; past it, the job fails with
  // the engine's error. $3/$4: the error; $5: now; $6/$7: NOTIFY, sent only when requeued;
  // $8: not claimable before (a back-off after a storage fault).
  retry: statement('retry', `WITH retried AS (
      UPDATE jobs SET lost_leases = lost_leases + 1, worker_id = NULL, lease_until = NULL, progress = NULL,
        not_before = $8::bigint,
        state = CASE WHEN lost_leases + 1 >= max_attempts THEN 'failed' ELSE 'queued' END,
        finished_at = CASE WHEN lost_leases + 1 >= max_attempts THEN $5::bigint END,
        error_type = CASE WHEN lost_leases + 1 >= max_attempts THEN $3::text END,
        error_message = CASE WHEN lost_leases + 1 >= max_attempts THEN $4::text END
      WHERE id = $1 AND attempt = $2 AND state = 'running'
      RETURNING id, state)
    SELECT state, CASE WHEN state = 'queued' THEN pg_notify($6, $7)::text END AS notified FROM retried`),

  // GET /v1/usage: one aggregate over the (owner_key_id, finished_at) index. Cancelled jobs never ran.
  usageTotal: statement('usage_total', usageSql(`NULL::text`, '')),
  usageByModel: statement('usage_by_model', usageSql(`model_id`, 'GROUP BY model_id ORDER BY grp')),
  usageByDay: statement('usage_by_day', usageSql(`to_char(to_timestamp(finished_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, 'GROUP BY grp ORDER BY grp')),

  // MODELGATE_MAX_RUNNING_PER_KEY, inside the claim's transaction: claims of one owner wait for
  // each other here, and the count after the lock (a new statement, so a new snapshot) sees every
  // claim committed before it. $1: the install's channel and the owner, so schemas do not collide.
  lockOwnerQuota: statement('lock_owner_quota', `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`),
  runningOf: statement('running_of', `SELECT count(*) AS running FROM jobs WHERE owner_key_id = $1 AND state = 'running'`),

  // /metrics: the queue and the running jobs per model, one grouped count.
  loadByModel: statement('load_by_model', `SELECT model_id, count(*) FILTER (WHERE state = 'queued') AS queued,
      count(*) FILTER (WHERE state = 'running') AS running
    FROM jobs WHERE state IN ('queued', 'running') GROUP BY model_id ORDER BY model_id`),

  // Shared rate limits: one upsert per request counts it and reads the window's total.
  hitRateWindow: statement('hit_rate_window', `INSERT INTO rate_windows (key, window_start, hits) VALUES ($1, $2, 1)
    ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_windows.hits + 1
    RETURNING hits`),
  pruneRateWindows: statement('prune_rate_windows', `DELETE FROM rate_windows WHERE window_start < $1`),

  // GET /v1/requests: one range of jobs_owner_history (owner_key_id, -seq) from the cursor down;
  // the filters only drop rows from it. Written on -seq, which only that index orders by (see
  // migrations/request-history.ts). $2 is always set (no cursor: past the newest), so the seq
  // bound is an index condition in every plan, generic ones included.
  // $1 owner, $2 before seq, $3 limit, $4 model or NULL, $5 states or NULL, $6 since or NULL.
  listJobs: statement('list_jobs', `SELECT ${JOB_COLUMNS} FROM jobs j
    WHERE j.owner_key_id = $1 AND j.deleted_at IS NULL AND (-j.seq) > (-$2::bigint)
      AND ($4::text IS NULL OR j.model_id = $4) AND ($5::text[] IS NULL OR j.state = ANY($5))
      AND ($6::bigint IS NULL OR j.created_at >= $6)
    ORDER BY (-j.seq) LIMIT $3`),
  // Deletion: only a finished job, once; its input and outputs go, its accounting stays.
  tombstoneJob: statement('tombstone_job', `UPDATE jobs SET deleted_at = $3, input = '{}', outputs = NULL, ignored_fields = NULL, error_message = NULL
    WHERE id = $1 AND owner_key_id = $2 AND deleted_at IS NULL AND state IN ('succeeded', 'failed', 'cancelled')`),
  // Retention: the oldest finished jobs of every key, through jobs_retention.
  listFinishedBefore: statement('list_finished_before', `SELECT id, owner_key_id, outputs, input FROM jobs
    WHERE deleted_at IS NULL AND finished_at IS NOT NULL AND finished_at <= $1 AND state IN ('succeeded', 'failed', 'cancelled')
    ORDER BY finished_at LIMIT $2`),
  // "These jobs settled", for Prefer: wait in other processes: one NOTIFY per job, one statement
  // per batch of settles. $2: payloads `settled:<instance>:<job id>`.
  notifySettled: statement('notify_settled', `SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS p(payload)`),

  listExpired: statement('list_expired', `SELECT id, attempt, max_attempts FROM jobs
    WHERE state = 'running' AND lease_until < $1`),
  // Settles every expired lease found by listExpired in one statement: requeue, or fail once
  // the retry budget is spent. Fenced on (id, attempt) and re-checked against the lease, so a
  // heartbeat that landed since the listing, or a second sweeper, leaves the job alone.
  // $1-$3: parallel arrays id, attempt, worker_lost message; $4: now; $5/$6: NOTIFY.
  sweepExpired: statement('sweep_expired', `WITH swept AS (
      UPDATE jobs j SET
        state = CASE WHEN j.lost_leases + 1 >= j.max_attempts THEN 'failed' ELSE 'queued' END,
        finished_at = CASE WHEN j.lost_leases + 1 >= j.max_attempts THEN $4::bigint END,
        error_type = CASE WHEN j.lost_leases + 1 >= j.max_attempts THEN 'worker_lost' END,
        error_message = CASE WHEN j.lost_leases + 1 >= j.max_attempts THEN e.message END,
        lost_leases = j.lost_leases + 1, worker_id = NULL, lease_until = NULL, progress = NULL
      FROM unnest($1::text[], $2::int[], $3::text[]) AS e(id, attempt, message)
      WHERE j.id = e.id AND j.attempt = e.attempt AND j.state = 'running' AND j.lease_until < $4
      RETURNING j.id, j.state)
    -- Identical notifications in one transaction reach listeners once, however many rows.
    SELECT id, state, CASE WHEN state = 'queued' THEN pg_notify($5, $6)::text END AS notified FROM swept`),
} as const satisfies Record<string, NamedStatement>;
