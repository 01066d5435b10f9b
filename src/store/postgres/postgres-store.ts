/**
 * The distributed Store: PostgreSQL through a pg pool. Claims pick with FOR UPDATE SKIP LOCKED,
 * so any number of worker processes share one queue; submits are group-committed (one INSERT
 * per batch); wake-ups cross processes with LISTEN/NOTIFY (capabilities.crossProcessWakeups).
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { fileToRow, ignoredFieldsColumn, rowToDeletableJob, rowToListedJob, noticesColumn, rowToApiKey, rowToClaimedJob, rowToFile, rowToJob, rowToJobAttemptState, rowToUsageGroup, usageToColumns, workerLostMessage, type UsageColumns, type ApiKeyRow, type FileRow, type JobRow, type UsageRow, rowToModelLoad, type LoadRow } from '../rows.ts';
import { NO_USAGE, type ApiKeyRecord, type CancelOutcome, type ClaimedJob, type FileRecord, type IdempotencyClaim, type IdempotentInsert, type JobAttemptState, type JobError, type JobOutputFile, type JobRecord, type JobState, type JobStatusRecord, type JobUsage, type NewJob, type Store, type SweepResult, type UsageGroup, type UsageQuery, type ClaimLimits, type ModelLoad, type DeletableJob, type JobListQuery, type ListedJob , type WebhookDelivery, type WebhookOutcome, type WebhookState } from '../store.ts';
import { SubmitBatcher } from '../submit-batcher.ts';
import { TurnBatcher } from '../turn-batcher.ts';
import { SettleWakeups, Wakeups } from '../wakeups.ts';
import { KeyCache } from '../key-cache.ts';
import { channelName, connectionConfig, NotificationListener, openClaimPool, openPostgresPool, validateSchemaName, type PostgresOptions } from './postgres-connection.ts';
import { SQL, type NamedStatement } from './postgres-statements.ts';
import { WEBHOOK_SQL } from './postgres-webhook-statements.ts';
import { webhookChannelName } from '../migrations/webhooks.ts';
import { outcomeColumns, rowToDelivery, rowToWebhookState, webhookColumns, type DeliveryRow, type WebhookStateRow } from '../webhook-rows.ts';

export type { PostgresOptions } from './postgres-connection.ts';

/** NOTIFY payloads that announce a settle start with this; every other payload announces work. */
const SETTLED_PREFIX = 'settled:';
/**
 * Job ids per settled NOTIFY (`settled:<instance>:<id>,<id>…`): 64 ids of 36 characters stay far
 * inside its 8,000-byte payload. Also complete_batch's batch size, since it names its whole batch.
 */
const SETTLED_IDS_PER_NOTIFY = 64;

/** Claims in a row that may lose the per-key quota race before the slot waits for its next poll. */
const QUOTA_CLAIM_TRIES = 3;

/** A claimed row with the quota that applies to its owner (the key's own, else the install's). */
type QuotaJobRow = JobRow & { quota: number | string };

/** One job of get_job_statuses' answer: its poll's place, state, progress, ignored fields, queue position. */
type StatusTuple = [number, JobState, number | null, string[] | null, number | null];

/** One idle slot's claim, as claimBatch takes it. */
interface ClaimSlot { workerId: string; leaseUntil: number; now: number }

/** One complete() call, as completeBatch takes it: complete's columns. */
interface CompleteRow extends UsageColumns { id: string; attempt: number; outputs: string; finishedAt: number; notices: string | null }

/** One status poll: which job, and whose (another owner's job reads as absent). */
interface StatusKey {
  id: string;
  ownerKeyId: string;
}

/**
 * The server rejected the statement with an ERROR (its transaction rolled back, the session
 * lives on), so nothing of a batch was written and each item may be tried alone. A FATAL, or an
 * error without a server's severity (a dropped connection), leaves the outcome unknown.
 */
function statementRejected(error: unknown): boolean {
  return (error as { severity?: unknown } | undefined)?.severity === 'ERROR';
}

/**
 * A client goes back to the pool only in a known state: after success, or after an error the
 * server reported for the statement (statementRejected). After any other failure (the client's
 * query timeout on a connection that stopped answering, a broken socket) a statement may still
 * be in flight on it, and whatever used it next would wait behind that: the pool closes it.
 */
function giveBack(client: PoolClient, failure: unknown): void {
  client.release(failure === undefined || statementRejected(failure) ? undefined : failure instanceof Error ? failure : new Error(String(failure)));
}

/** Rolls back after `error`, unless the connection is being dropped anyway (giveBack): a ROLLBACK would only wait behind the stuck statement. */
async function rollBackAfter(client: PoolClient, error: unknown): Promise<void> {
  if (statementRejected(error)) await client.query('ROLLBACK').catch(() => undefined);
}

export class PostgresStore implements Store {
  readonly capabilities = { crossProcessWakeups: true, sharedRateWindows: true, crossProcessSettleWakeups: true };
  private readonly wakeups = new Wakeups();
  private readonly settles = new SettleWakeups();
  /** Active keys looked up in the last second (key-cache.ts): most requests need no key read. */
  private readonly keyCache = new KeyCache();
  /** Status polls share one statement per turn, or per round trip while one is out (readStatuses). */
  private readonly statusReads = new TurnBatcher<StatusKey, JobStatusRecord | undefined>((keys) => this.readStatuses(keys), { nothingWritten: statementRejected, maxBatch: 256, maxInFlight: 1 });
  /** Settled job ids not yet announced to other processes: one NOTIFY statement per event-loop turn. */
  private unannounced: string[] = [];
  private readonly batcher: SubmitBatcher<NewJob>;
  private readonly claims: TurnBatcher<ClaimSlot, QuotaJobRow | undefined>;
  private readonly completions: TurnBatcher<CompleteRow, boolean>;
  /** Sent as every NOTIFY payload, so this store can tell its own wake-ups from other processes'. */
  private readonly instanceId = randomUUID();
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly listener: NotificationListener,
    private readonly channel: string,
    /** Claims and heartbeats: asynchronous commit (see openClaimPool). */
    private readonly claimPool: Pool,
  ) {
    // Local workers are woken directly after the commit, without waiting for the round trip
    // through the server; the NOTIFY is for other processes, so our own echo is dropped.
    listener.on('notification', (payload: string) => {
      if (payload.startsWith(SETTLED_PREFIX)) this.settledElsewhere(payload);
      else if (payload !== this.instanceId) this.wakeups.notify();
    });
    // Notifications sent while the LISTEN connection was down are gone: look once to be sure.
    listener.on('reconnected', () => {
      this.wakeups.notify();
      this.settles.notifyAll();
    });
    this.batcher = new SubmitBatcher((jobs) => this.insertBatch(jobs), () => this.wakeups.notify());
    this.claims = new TurnBatcher((slots) => this.claimBatch(slots), { nothingWritten: statementRejected });
    this.completions = new TurnBatcher((settles) => this.completeBatch(settles), { nothingWritten: statementRejected, maxBatch: SETTLED_IDS_PER_NOTIFY });
  }

  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const channel = channelName(validateSchemaName(options.schema ?? 'public'));
    const pool = await openPostgresPool(options);
    const listener = new NotificationListener(connectionConfig(options, 'listen'), channel);
    try {
      await listener.start();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool, listener, channel, openClaimPool(options));
  }

  private async run<R extends QueryResultRow = QueryResultRow>(statement: NamedStatement, values: unknown[]) {
    return this.pool.query<R>({ name: statement.name, text: statement.text, values });
  }

  private async insertBatch(jobs: NewJob[], client: Pick<Pool, 'query'> = this.pool): Promise<void> {
    await client.query({ name: SQL.insertJobs.name, text: SQL.insertJobs.text, values: [
      jobs.map((job) => job.id),
      jobs.map((job) => job.ownerKeyId),
      jobs.map((job) => job.modelId),
      jobs.map((job) => JSON.stringify(job.input)),
      jobs.map((job) => job.maxAttempts),
      jobs.map((job) => job.createdAt),
      this.channel,
      this.instanceId,
      jobs.map(ignoredFieldsColumn),
      jobs.map((job) => webhookColumns(job).webhook_url),
      jobs.map((job) => webhookColumns(job).webhook_events),
    ] });
  }

  async insertJobOnce(job: NewJob, claim: IdempotencyClaim): Promise<IdempotentInsert> {
    await this.batcher.flush();
    const client = await this.pool.connect();
    const q = <R extends QueryResultRow>(statement: NamedStatement, values: unknown[]) => client.query<R>({ name: statement.name, text: statement.text, values });
    let failure: unknown;
    try {
      await client.query('BEGIN');
      await q(SQL.dropExpiredIdempotencyKey, [job.ownerKeyId, claim.key, claim.now]);
      const claimed = await q<{ request_id: string }>(SQL.claimIdempotencyKey, [job.ownerKeyId, claim.key, claim.requestHash, job.id, claim.now, claim.expiresAt]);
      let result: IdempotentInsert;
      if (claimed.rowCount === 1) {
        await this.insertBatch([job], client);
        result = { outcome: 'created', requestId: job.id };
      } else {
        const existing = (await q<{ request_hash: string; request_id: string }>(SQL.getIdempotencyKey, [job.ownerKeyId, claim.key])).rows[0]!;
        result = { outcome: existing.request_hash === claim.requestHash ? 'replayed' : 'mismatch', requestId: existing.request_id };
      }
      await client.query('COMMIT');
      if (result.outcome === 'created') this.wakeups.notify();
      return result;
    } catch (error) {
      failure = error;
      await rollBackAfter(client, error);
      throw error;
    } finally {
      giveBack(client, failure);
    }
  }

  async insertFile(file: FileRecord): Promise<void> {
    const row = fileToRow(file);
    await this.run(SQL.insertFile, [row.id, row.owner_key_id, row.blob_key, row.kind, row.content_type, row.size_bytes, row.sha256, row.width, row.height, row.duration_seconds, row.created_at, row.expires_at]);
  }

  async getFile(id: string, ownerKeyId: string): Promise<FileRecord | undefined> {
    const { rows } = await this.run<FileRow>(SQL.getFile, [id, ownerKeyId]);
    return rows[0] && rowToFile(rows[0]);
  }

  async deleteExpiredFiles(now: number, limit: number): Promise<FileRecord[]> {
    const { rows } = await this.run<FileRow>(SQL.deleteExpiredFiles, [now, limit]);
    return rows.map(rowToFile);
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await this.run(SQL.insertApiKey, [key.id, key.name, key.prefix, key.hash, key.createdAt, key.maxRunning]);
  }

  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.keyCache.find(hash, this.readApiKey);
  }

  private readonly readApiKey = async (hash: string): Promise<ApiKeyRecord | undefined> => {
    const { rows } = await this.run<ApiKeyRow>(SQL.findApiKeyByHash, [hash]);
    return rows[0] && rowToApiKey(rows[0]);
  };

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.run<ApiKeyRow>(SQL.listApiKeys, []);
    return rows.map(rowToApiKey);
  }

  async revokeApiKey(id: string, now: number): Promise<boolean> {
    const revoked = (await this.run(SQL.revokeApiKey, [now, id])).rowCount === 1;
    this.keyCache.forgetAll();
    return revoked;
  }

  async setApiKeyMaxRunning(id: string, maxRunning: number | null): Promise<boolean> {
    const changed = (await this.run(SQL.setApiKeyMaxRunning, [id, maxRunning])).rowCount === 1;
    this.keyCache.forgetAll();
    return changed;
  }

  insertJob(job: NewJob): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return this.batcher.add(job);
  }

  async getJob(id: string, ownerKeyId: string): Promise<JobRecord | undefined> {
    const { rows } = await this.run<JobRow>(SQL.getJob, [id, ownerKeyId]);
    return rows[0] && rowToJob(rows[0]);
  }

  getJobStatus(id: string, ownerKeyId: string): Promise<JobStatusRecord | undefined> {
    return this.statusReads.add({ id, ownerKeyId });
  }

  /**
   * Status polls in one statement: those of one turn, and under load (one statement in flight at
   * a time) those that arrived during the previous one's round trip. The pg client costs tens of
   * µs of CPU per query whatever the query (docs/benchmarks.md, "Queue depth"), which was most of
   * a poll's cost; one query shares it. Each statement reads one snapshot, as each poll did.
   */
  private async readStatuses(keys: StatusKey[]): Promise<Array<JobStatusRecord | undefined>> {
    const { rows } = await this.run<{ statuses: StatusTuple[] | null }>(SQL.getJobStatuses, [JSON.stringify(keys.map((k) => k.id)), JSON.stringify(keys.map((k) => k.ownerKeyId))]);
    const found = new Array<JobStatusRecord | undefined>(keys.length);
    for (const [n, state, progress, ignoredFields, queuePosition] of rows[0]?.statuses ?? []) {
      found[n - 1] = { id: keys[n - 1]!.id, state, progress, ignoredFields: ignoredFields ?? [], queuePosition: state === 'queued' ? queuePosition : null };
    }
    return found;
  }

  async getJobAttemptState(id: string): Promise<JobAttemptState | undefined> {
    const { rows } = await this.run<JobRow>(SQL.getJobAttemptState, [id]);
    return rows[0] && rowToJobAttemptState(rows[0]);
  }

  async cancelJob(id: string, ownerKeyId: string, now: number): Promise<CancelOutcome> {
    if ((await this.run(SQL.cancelQueued, [id, ownerKeyId, now])).rowCount === 1) {
      this.settled(id);
      return 'cancelled';
    }
    // Only explains a lost cancel; a fresh statement, so it sees the claim that beat us.
    const { rows } = await this.run<{ state: string }>(SQL.getState, [id, ownerKeyId]);
    if (!rows[0]) return 'not_found';
    return rows[0].state === 'cancelled' ? 'cancelled' : 'not_cancellable';
  }

  async claimNext(workerId: string, leaseMs: number, now: number, limits?: ClaimLimits): Promise<ClaimedJob | undefined> {
    const quota = limits?.maxRunningPerKey ?? 0;
    if (quota > 0) return this.claimWithinQuota([workerId, now + leaseMs, now, quota]);
    // Claims of one event-loop turn (the process's idle slots) share one statement.
    return this.withinKeyQuota(await this.claims.add({ workerId, leaseUntil: now + leaseMs, now }));
  }

  private async withinKeyQuota(row: QuotaJobRow | undefined): Promise<ClaimedJob | undefined> {
    if (!row) return undefined;
    // The owner's key has a quota of its own: two claims may both have passed the statement's
    // snapshot check, and this one has committed. Count again under the owner's lock and give
    // the job back when it is one too many (the later claim of the two then keeps its job).
    if (Number(row.quota) > 0 && !(await this.keptWithinQuota(row))) return undefined;
    return rowToClaimedJob(row);
  }

  private async keptWithinQuota(row: QuotaJobRow): Promise<boolean> {
    const client = await this.claimPool.connect();
    let failure: unknown;
    try {
      await client.query('BEGIN');
      await client.query({ name: SQL.lockOwnerQuota.name, text: SQL.lockOwnerQuota.text, values: [`${this.channel}:${row.owner_key_id}`] });
      const counted = await client.query<{ running: number | string }>({ name: SQL.runningOf.name, text: SQL.runningOf.text, values: [row.owner_key_id] });
      const keep = Number(counted.rows[0]!.running) <= Number(row.quota);
      if (!keep) await client.query({ name: SQL.release.name, text: SQL.release.text, values: [row.id, row.attempt, this.channel, this.instanceId] });
      await client.query('COMMIT');
      return keep;
    } catch (error) {
      failure = error;
      await rollBackAfter(client, error);
      throw error;
    } finally {
      giveBack(client, failure);
    }
  }

  /**
   * MODELGATE_MAX_RUNNING_PER_KEY across processes. The claim statement skips owners at their
   * quota as of its snapshot, so two claims for one owner can both pass it; each then takes the
   * owner's advisory lock and counts again in a fresh snapshot, which holds every claim committed
   * before the lock was granted. A claim that finds the owner over quota rolls back, and the
   * next try's snapshot skips that owner. Installs without a quota keep the one-statement claim
   * (and re-check only the jobs of keys with a quota of their own).
   */
  private async claimWithinQuota(values: unknown[]): Promise<ClaimedJob | undefined> {
    for (let tries = 0; tries < QUOTA_CLAIM_TRIES; tries++) {
      const client = await this.claimPool.connect();
      const q = <R extends QueryResultRow>(statement: NamedStatement, params: unknown[]) => client.query<R>({ name: statement.name, text: statement.text, values: params });
      let failure: unknown;
      try {
        await client.query('BEGIN');
        const row = (await q<QuotaJobRow>(SQL.claimNext, values)).rows[0];
        if (!row) {
          await client.query('COMMIT');
          return undefined;
        }
        // The owner's key lifts the install's quota (max_running 0): nothing to count.
        if (Number(row.quota) === 0) {
          await client.query('COMMIT');
          return rowToClaimedJob(row);
        }
        await q(SQL.lockOwnerQuota, [`${this.channel}:${row.owner_key_id}`]);
        const running = Number((await q<{ running: number | string }>(SQL.runningOf, [row.owner_key_id])).rows[0]!.running);
        if (running <= Number(row.quota)) {
          await client.query('COMMIT');
          return rowToClaimedJob(row);
        }
        await client.query('ROLLBACK');
      } catch (error) {
        failure = error;
        await rollBackAfter(client, error);
        throw error;
      } finally {
        giveBack(client, failure);
      }
    }
    // Lost the race every time: the slot polls again shortly, as when the queue is empty.
    return undefined;
  }

  private async claimBatch(slots: ClaimSlot[]): Promise<(QuotaJobRow | undefined)[]> {
    const now = Math.max(...slots.map((slot) => slot.now));
    const { rows } = await this.claimPool.query<QuotaJobRow & { slot: number | string }>({ name: SQL.claimBatch.name, text: SQL.claimBatch.text, values: [
      slots.map((slot) => slot.workerId),
      slots.map((slot) => slot.leaseUntil),
      now,
      0,
    ] });
    const bySlot = new Map(rows.map((row) => [Number(row.slot), row]));
    return slots.map((_, index) => bySlot.get(index + 1));
  }

  private async completeBatch(settles: CompleteRow[]): Promise<boolean[]> {
    const column = <K extends keyof CompleteRow>(key: K) => settles.map((settle) => settle[key]);
    const { rows } = await this.pool.query<{ id: string; attempt: number }>({ name: SQL.completeBatch.name, text: SQL.completeBatch.text, values: [
      column('id'), column('attempt'), column('outputs'), column('finishedAt'),
      column('output_count'), column('output_ms'), column('cost_microusd'), column('notices'),
      this.channel, `${SETTLED_PREFIX}${this.instanceId}:`,
    ] });
    // By (id, attempt): a stale attempt and the current one of a job may settle in one turn.
    const settled = new Set(rows.map((row) => `${row.attempt}:${row.id}`));
    return settles.map((settle) => settled.has(`${settle.attempt}:${settle.id}`));
  }

  async heartbeat(id: string, attempt: number, leaseMs: number, now: number): Promise<boolean> {
    return (await this.claimPool.query({ name: SQL.heartbeat.name, text: SQL.heartbeat.text, values: [id, attempt, now + leaseMs] })).rowCount === 1;
  }

  async reportProgress(id: string, attempt: number, progress: number): Promise<boolean> {
    return (await this.run(SQL.reportProgress, [id, attempt, progress])).rowCount === 1;
  }

  async complete(id: string, attempt: number, outputs: JobOutputFile[], now: number, usage: JobUsage = NO_USAGE, notices?: readonly string[]): Promise<boolean> {
    // Group-committed with this process's other settles of the turn (durable: the main pool).
    const completed = await this.completions.add({ id, attempt, outputs: JSON.stringify(outputs), finishedAt: now, ...usageToColumns(usage), notices: noticesColumn(notices) });
    // Other processes were told by the completing statement itself; this one's waiters now.
    if (completed) this.settles.notify(id);
    return completed;
  }

  async fail(id: string, attempt: number, error: JobError, now: number): Promise<boolean> {
    const took = (await this.run(SQL.fail, [id, attempt, error.type, error.message, now])).rowCount === 1;
    if (took) this.settled(id);
    return took;
  }

  async release(id: string, attempt: number): Promise<boolean> {
    const released = (await this.run(SQL.release, [id, attempt, this.channel, this.instanceId])).rowCount === 1;
    if (released) this.wakeups.notify();
    return released;
  }

  async retry(id: string, attempt: number, error: JobError, now: number, notBefore?: number): Promise<'requeued' | 'failed' | undefined> {
    const { rows } = await this.run<{ state: string }>(SQL.retry, [id, attempt, error.type, error.message, now, this.channel, this.instanceId, notBefore ?? null]);
    if (!rows[0]) return undefined;
    if (rows[0].state === 'queued') this.wakeups.notify();
    else this.settled(id);
    return rows[0].state === 'queued' ? 'requeued' : 'failed';
  }

  async sweepExpiredLeases(now: number): Promise<SweepResult> {
    const result: SweepResult = { requeued: [], failed: [] };
    const expired = (await this.run<{ id: string; attempt: number; max_attempts: number }>(SQL.listExpired, [now])).rows;
    if (expired.length === 0) return result;
    const { rows } = await this.run<{ id: string; state: string }>(SQL.sweepExpired, [
      expired.map((job) => job.id),
      expired.map((job) => job.attempt),
      expired.map((job) => workerLostMessage(job.max_attempts)),
      now,
      this.channel,
      this.instanceId,
    ]);
    for (const row of rows) (row.state === 'queued' ? result.requeued : result.failed).push(row.id);
    if (result.requeued.length > 0) this.wakeups.notify();
    for (const failed of result.failed) this.settled(failed);
    return result;
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    const statement = query.groupBy === 'model' ? SQL.usageByModel : query.groupBy === 'day' ? SQL.usageByDay : SQL.usageTotal;
    const { rows } = await this.run<UsageRow>(statement, [query.ownerKeyId, query.from, query.to]);
    return rows.map(rowToUsageGroup);
  }

  async loadByModel(): Promise<ModelLoad[]> {
    return (await this.run<LoadRow>(SQL.loadByModel, [])).rows.map(rowToModelLoad);
  }

  async hitRateWindow(key: string, windowStart: number): Promise<number> {
    return (await this.run<{ hits: number }>(SQL.hitRateWindow, [key, windowStart])).rows[0]!.hits;
  }

  async pruneRateWindows(before: number): Promise<number> {
    return (await this.run(SQL.pruneRateWindows, [before])).rowCount ?? 0;
  }

  onJobAvailable(listener: () => void): () => void {
    return this.wakeups.subscribe(listener);
  }

  async listJobs(query: JobListQuery): Promise<ListedJob[]> {
    const { rows } = await this.run<JobRow>(SQL.listJobs, [
      query.ownerKeyId,
      query.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      query.limit,
      query.modelId ?? null,
      query.states ? [...query.states] : null,
      query.createdSince ?? null,
    ]);
    return rows.map(rowToListedJob);
  }

  async tombstoneJob(id: string, ownerKeyId: string, now: number): Promise<boolean> {
    return (await this.run(SQL.tombstoneJob, [id, ownerKeyId, now])).rowCount === 1;
  }

  async listFinishedBefore(before: number, limit: number): Promise<DeletableJob[]> {
    const { rows } = await this.run<JobRow>(SQL.listFinishedBefore, [before, limit]);
    return rows.map(rowToDeletableJob);
  }

  onJobSettled(id: string, listener: () => void): () => void {
    return this.settles.subscribe(id, listener);
  }

  /**
   * A settle that took: wakes this process's waiters now, and other processes' with one NOTIFY
   * statement for every settle of this event-loop turn (after the settle committed, so a woken
   * waiter reads the settled row). A lost NOTIFY costs a waiter its answer's promptness, not
   * its correctness: it answers with the job as it is when its wait ends.
   */
  private settled(id: string): void {
    this.settles.notify(id);
    if (this.closed) return;
    this.unannounced.push(id);
    if (this.unannounced.length > 1) return;
    setImmediate(() => {
      const ids = this.unannounced;
      this.unannounced = [];
      if (this.closed) return;
      const payloads: string[] = [];
      for (let start = 0; start < ids.length; start += SETTLED_IDS_PER_NOTIFY) {
        payloads.push(`${SETTLED_PREFIX}${this.instanceId}:${ids.slice(start, start + SETTLED_IDS_PER_NOTIFY).join(',')}`);
      }
      this.run(SQL.notifySettled, [this.channel, payloads]).catch(() => undefined);
    });
  }

  /** Other processes' settles, `settled:<instance>:<id>,<id>…` (our own were delivered locally already). */
  private settledElsewhere(payload: string): void {
    const rest = payload.slice(SETTLED_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon < 0 || rest.slice(0, colon) === this.instanceId) return;
    for (const id of rest.slice(colon + 1).split(',')) this.settles.notify(id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.flush();
    await this.claims.flush();
    await this.completions.flush();
    await this.statusReads.flush();
    this.wakeups.clear();
    this.settles.clear();
    await this.listener.close();
    await this.webhookListener?.close();
    await this.claimPool.end();
    await this.pool.end();
  }

  // Webhooks (migration 0011). The trigger that makes a delivery NOTIFYs a channel of its own, so
  // job claimers are never woken for a webhook; its LISTEN connection is opened by the first
  // onWebhookDue, so processes without a delivery loop (API servers) never hold one.
  private webhookListener: NotificationListener | undefined;
  private readonly webhookWakeups = new Wakeups();

  async claimWebhookDelivery(leaseMs: number, now: number): Promise<WebhookDelivery | undefined> {
    const { rows } = await this.run<DeliveryRow>(WEBHOOK_SQL.claim, [now, now + leaseMs]);
    return rows[0] && rowToDelivery(rows[0]);
  }

  async settleWebhookDelivery(id: string, attempts: number, outcome: WebhookOutcome): Promise<boolean> {
    const c = outcomeColumns(outcome);
    return (await this.run(WEBHOOK_SQL.settle, [id, attempts, c.state, c.next_at, c.last_status, c.last_error, c.finished_at])).rowCount === 1;
  }

  async getWebhookState(jobId: string): Promise<WebhookState | undefined> {
    return rowToWebhookState((await this.run<WebhookStateRow>(WEBHOOK_SQL.state, [jobId])).rows[0]);
  }

  async ensureSetting(name: string, valueIfAbsent: string): Promise<string> {
    await this.run(WEBHOOK_SQL.insertSetting, [name, valueIfAbsent]);
    return (await this.run<{ value: string }>(WEBHOOK_SQL.getSetting, [name])).rows[0]!.value;
  }

  onWebhookDue(listener: () => void): () => void {
    if (!this.webhookListener && !this.closed) {
      // The pool's own connection settings (URL, search_path), under a name of its own.
      const { max: _max, application_name, ...connection } = this.pool.options;
      const schema = this.channel.slice(channelName('').length);
      const webhookListener = new NotificationListener({ ...connection, application_name: `${application_name ?? 'modelgate'}-webhooks` }, webhookChannelName(schema));
      webhookListener.on('notification', () => this.webhookWakeups.notify());
      webhookListener.on('reconnected', () => this.webhookWakeups.notify());
      // Until it listens, the loop's poll finds due deliveries; once it listens, the listener
      // reconnects by itself. A failed first connect is tried again every few seconds.
      const listen = (): void => {
        webhookListener.start().then(
          () => this.webhookWakeups.notify(),
          () => {
            if (!this.closed) setTimeout(listen, 5_000).unref();
          },
        );
      };
      listen();
      this.webhookListener = webhookListener;
    }
    return this.webhookWakeups.subscribe(listener);
  }
}
