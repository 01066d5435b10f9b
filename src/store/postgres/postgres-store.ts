/**
 * The distributed Store: PostgreSQL through a pg pool. Claims pick with FOR UPDATE SKIP LOCKED,
 * so any number of worker processes share one queue; submits are group-committed (one INSERT
 * per batch); wake-ups cross processes with LISTEN/NOTIFY (capabilities.crossProcessWakeups).
 */
import { randomUUID } from 'node:crypto';
import type { Pool, QueryResultRow } from 'pg';
import { fileToRow, ignoredFieldsColumn, rowToApiKey, rowToClaimedJob, rowToFile, rowToJob, rowToJobAttemptState, rowToUsageGroup, usageToColumns, workerLostMessage, type ApiKeyRow, type FileRow, type JobRow, type UsageRow, rowToModelLoad, type LoadRow } from '../rows.ts';
import { NO_USAGE, type ApiKeyRecord, type CancelOutcome, type ClaimedJob, type FileRecord, type IdempotencyClaim, type IdempotentInsert, type JobAttemptState, type JobError, type JobOutputFile, type JobRecord, type JobUsage, type NewJob, type Store, type SweepResult, type UsageGroup, type UsageQuery, type ClaimLimits, type ModelLoad } from '../store.ts';
import { SubmitBatcher } from '../submit-batcher.ts';
import { Wakeups } from '../wakeups.ts';
import { channelName, connectionConfig, NotificationListener, openClaimPool, openPostgresPool, validateSchemaName, type PostgresOptions } from './postgres-connection.ts';
import { SQL, type NamedStatement } from './postgres-statements.ts';

export type { PostgresOptions } from './postgres-connection.ts';

/** Claims in a row that may lose the per-key quota race before the slot waits for its next poll. */
const QUOTA_CLAIM_TRIES = 3;

export class PostgresStore implements Store {
  readonly capabilities = { crossProcessWakeups: true, sharedRateWindows: true };
  private readonly wakeups = new Wakeups();
  private readonly batcher: SubmitBatcher<NewJob>;
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
      if (payload !== this.instanceId) this.wakeups.notify();
    });
    // Notifications sent while the LISTEN connection was down are gone: look once to be sure.
    listener.on('reconnected', () => this.wakeups.notify());
    this.batcher = new SubmitBatcher((jobs) => this.insertBatch(jobs), () => this.wakeups.notify());
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
    ] });
  }

  async insertJobOnce(job: NewJob, claim: IdempotencyClaim): Promise<IdempotentInsert> {
    await this.batcher.flush();
    const client = await this.pool.connect();
    const q = <R extends QueryResultRow>(statement: NamedStatement, values: unknown[]) => client.query<R>({ name: statement.name, text: statement.text, values });
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
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
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
    await this.run(SQL.insertApiKey, [key.id, key.name, key.prefix, key.hash, key.createdAt]);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.run<ApiKeyRow>(SQL.findApiKeyByHash, [hash]);
    return rows[0] && rowToApiKey(rows[0]);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.run<ApiKeyRow>(SQL.listApiKeys, []);
    return rows.map(rowToApiKey);
  }

  async revokeApiKey(id: string, now: number): Promise<boolean> {
    return (await this.run(SQL.revokeApiKey, [now, id])).rowCount === 1;
  }

  insertJob(job: NewJob): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return this.batcher.add(job);
  }

  async getJob(id: string, ownerKeyId: string): Promise<JobRecord | undefined> {
    const { rows } = await this.run<JobRow>(SQL.getJob, [id, ownerKeyId]);
    return rows[0] && rowToJob(rows[0]);
  }

  async getJobAttemptState(id: string): Promise<JobAttemptState | undefined> {
    const { rows } = await this.run<JobRow>(SQL.getJobAttemptState, [id]);
    return rows[0] && rowToJobAttemptState(rows[0]);
  }

  async cancelJob(id: string, ownerKeyId: string, now: number): Promise<CancelOutcome> {
    if ((await this.run(SQL.cancelQueued, [id, ownerKeyId, now])).rowCount === 1) return 'cancelled';
    // Only explains a lost cancel; a fresh statement, so it sees the claim that beat us.
    const { rows } = await this.run<{ state: string }>(SQL.getState, [id, ownerKeyId]);
    if (!rows[0]) return 'not_found';
    return rows[0].state === 'cancelled' ? 'cancelled' : 'not_cancellable';
  }

  async claimNext(workerId: string, leaseMs: number, now: number, limits?: ClaimLimits): Promise<ClaimedJob | undefined> {
    const quota = limits?.maxRunningPerKey ?? 0;
    if (quota > 0) return this.claimWithinQuota([workerId, now + leaseMs, now, quota], quota);
    const { rows } = await this.claimPool.query<JobRow>({ name: SQL.claimNext.name, text: SQL.claimNext.text, values: [workerId, now + leaseMs, now, 0] });
    return rows[0] && rowToClaimedJob(rows[0]);
  }

  /**
   * MODELGATE_MAX_RUNNING_PER_KEY across processes. The claim statement skips owners at their
   * quota as of its snapshot, so two claims for one owner can both pass it; each then takes the
   * owner's advisory lock and counts again in a fresh snapshot, which holds every claim committed
   * before the lock was granted. A claim that finds the owner over quota rolls back, and the
   * next try's snapshot skips that owner. Installs without a quota keep the one-statement claim.
   */
  private async claimWithinQuota(values: unknown[], quota: number): Promise<ClaimedJob | undefined> {
    for (let tries = 0; tries < QUOTA_CLAIM_TRIES; tries++) {
      const client = await this.claimPool.connect();
      const q = <R extends QueryResultRow>(statement: NamedStatement, params: unknown[]) => client.query<R>({ name: statement.name, text: statement.text, values: params });
      try {
        await client.query('BEGIN');
        const row = (await q<JobRow>(SQL.claimNext, values)).rows[0];
        if (!row) {
          await client.query('COMMIT');
          return undefined;
        }
        await q(SQL.lockOwnerQuota, [`${this.channel}:${row.owner_key_id}`]);
        const running = Number((await q<{ running: number | string }>(SQL.runningOf, [row.owner_key_id])).rows[0]!.running);
        if (running <= quota) {
          await client.query('COMMIT');
          return rowToClaimedJob(row);
        }
        await client.query('ROLLBACK');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
    // Lost the race every time: the slot polls again shortly, as when the queue is empty.
    return undefined;
  }

  async heartbeat(id: string, attempt: number, leaseMs: number, now: number): Promise<boolean> {
    return (await this.claimPool.query({ name: SQL.heartbeat.name, text: SQL.heartbeat.text, values: [id, attempt, now + leaseMs] })).rowCount === 1;
  }

  async reportProgress(id: string, attempt: number, progress: number): Promise<boolean> {
    return (await this.run(SQL.reportProgress, [id, attempt, progress])).rowCount === 1;
  }

  async complete(id: string, attempt: number, outputs: JobOutputFile[], now: number, usage: JobUsage = NO_USAGE): Promise<boolean> {
    const columns = usageToColumns(usage);
    return (await this.run(SQL.complete, [id, attempt, JSON.stringify(outputs), now, columns.output_count, columns.output_ms, columns.cost_microusd])).rowCount === 1;
  }

  async fail(id: string, attempt: number, error: JobError, now: number): Promise<boolean> {
    return (await this.run(SQL.fail, [id, attempt, error.type, error.message, now])).rowCount === 1;
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.flush();
    this.wakeups.clear();
    await this.listener.close();
    await this.claimPool.end();
    await this.pool.end();
  }
}
