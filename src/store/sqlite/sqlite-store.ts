/**
 * The embedded Store: one SQLite file in WAL mode, driven synchronously by better-sqlite3
 * through statements prepared once. Wake-ups reach only this process's workers; workers in other
 * processes find new jobs by polling (capabilities.crossProcessWakeups = false).
 */
import type { Database } from 'better-sqlite3';
import { fileToRow, ignoredFieldsColumn, rowToDeletableJob, rowToListedJob, noticesColumn, rowToApiKey, rowToClaimedJob, rowToFile, rowToJob, rowToJobStatus, type JobStatusRow, rowToJobAttemptState, rowToUsageGroup, usageToColumns, workerLostMessage, type ApiKeyRow, type FileRow, type JobRow, type UsageRow, rowToModelLoad, type LoadRow } from '../rows.ts';
import { NO_USAGE, type ApiKeyRecord, type CancelOutcome, type ClaimedJob, type FileRecord, type IdempotencyClaim, type IdempotentInsert, type JobAttemptState, type JobError, type JobOutputFile, type JobRecord, type JobStatusRecord, type JobUsage, type NewJob, type Store, type SweepResult, type UsageGroup, type UsageQuery, type ClaimLimits, type ModelLoad, type DeletableJob, type JobListQuery, type ListedJob , type WebhookDelivery, type WebhookOutcome, type WebhookState } from '../store.ts';
import { SubmitBatcher } from '../submit-batcher.ts';
import { SettleWakeups, Wakeups } from '../wakeups.ts';
import { KeyCache } from '../key-cache.ts';
import { openSqlite, type SqliteOptions } from './sqlite-connection.ts';
import { ReadBatcher } from './read-batcher.ts';
import { prepareStatements, type SqliteStatements } from './sqlite-statements.ts';
import { prepareWebhookStatements, type SqliteWebhookStatements } from './sqlite-webhook-statements.ts';
import { outcomeColumns, rowToDelivery, rowToWebhookState, webhookColumns, type DeliveryRow, type WebhookStateRow } from '../webhook-rows.ts';

export class SqliteStore implements Store {
  readonly capabilities = { crossProcessWakeups: false, sharedRateWindows: false, crossProcessSettleWakeups: false };
  private readonly wakeups = new Wakeups();
  private readonly settles = new SettleWakeups();
  private readonly batcher: SubmitBatcher<NewJob>;
  private readonly insertMany: (jobs: NewJob[]) => void;
  private readonly insertOnce: (job: NewJob, claim: IdempotencyClaim) => IdempotentInsert;
  /** The key check and the job read (every poll) share a read transaction per event-loop turn. */
  private readonly reads: ReadBatcher;
  /** Active keys looked up in the last second (key-cache.ts): most requests need no key read. */
  private readonly keyCache = new KeyCache();

  private constructor(
    private readonly db: Database,
    private readonly sql: SqliteStatements,
  ) {
    this.reads = new ReadBatcher(db);
    this.insertMany = db.transaction((jobs: NewJob[]) => {
      for (const job of jobs) {
        sql.insertJob.run({ id: job.id, owner_key_id: job.ownerKeyId, model_id: job.modelId, input: JSON.stringify(job.input), ignored_fields: ignoredFieldsColumn(job), max_attempts: job.maxAttempts, created_at: job.createdAt, ...webhookColumns(job) });
      }
    });
    // BEGIN IMMEDIATE takes the write lock first, so two processes cannot both miss the key.
    this.insertOnce = db.transaction((job: NewJob, claim: IdempotencyClaim): IdempotentInsert => {
      sql.dropExpiredIdempotencyKey.run(job.ownerKeyId, claim.key, claim.now);
      const claimed = sql.claimIdempotencyKey.run({ owner: job.ownerKeyId, key: claim.key, hash: claim.requestHash, request_id: job.id, now: claim.now, expires_at: claim.expiresAt });
      if (claimed.changes === 1) {
        this.insertMany([job]);
        return { outcome: 'created', requestId: job.id };
      }
      const existing = sql.getIdempotencyKey.get(job.ownerKeyId, claim.key) as { request_hash: string; request_id: string };
      return { outcome: existing.request_hash === claim.requestHash ? 'replayed' : 'mismatch', requestId: existing.request_id };
    }).immediate;
    this.batcher = new SubmitBatcher(this.insertMany, () => this.wakeups.notify());
  }

  static async open(options: SqliteOptions): Promise<SqliteStore> {
    const db = await openSqlite(options);
    return new SqliteStore(db, prepareStatements(db));
  }

  async insertFile(file: FileRecord): Promise<void> {
    this.sql.insertFile.run(fileToRow(file));
  }

  async getFile(id: string, ownerKeyId: string): Promise<FileRecord | undefined> {
    const row = this.sql.getFile.get(id, ownerKeyId) as FileRow | undefined;
    return row && rowToFile(row);
  }

  async deleteExpiredFiles(now: number, limit: number): Promise<FileRecord[]> {
    return (this.sql.deleteExpiredFiles.all(now, limit) as FileRow[]).map(rowToFile);
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    this.sql.insertApiKey.run({ id: key.id, name: key.name, prefix: key.prefix, hash: key.hash, created_at: key.createdAt, max_running: key.maxRunning });
  }

  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.keyCache.find(hash, this.readApiKey);
  }

  private readonly readApiKey = (hash: string): Promise<ApiKeyRecord | undefined> =>
    this.reads.read(() => {
      const row = this.sql.findApiKeyByHash.get(hash) as ApiKeyRow | undefined;
      return row && rowToApiKey(row);
    });

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.sql.listApiKeys.all() as ApiKeyRow[]).map(rowToApiKey);
  }

  async revokeApiKey(id: string, now: number): Promise<boolean> {
    const revoked = this.sql.revokeApiKey.run(now, id).changes === 1;
    this.keyCache.forgetAll();
    return revoked;
  }

  async setApiKeyMaxRunning(id: string, maxRunning: number | null): Promise<boolean> {
    const changed = this.sql.setApiKeyMaxRunning.run(maxRunning, id).changes === 1;
    this.keyCache.forgetAll();
    return changed;
  }

  insertJob(job: NewJob): Promise<void> {
    return this.batcher.add(job);
  }

  async insertJobOnce(job: NewJob, claim: IdempotencyClaim): Promise<IdempotentInsert> {
    // Waits for submits already batched, so the job order stays the order of acknowledgement.
    await this.batcher.flush();
    const result = this.insertOnce(job, claim);
    if (result.outcome === 'created') this.wakeups.notify();
    return result;
  }

  getJob(id: string, ownerKeyId: string): Promise<JobRecord | undefined> {
    return this.reads.read(() => {
      const row = this.sql.getJob.get(id, ownerKeyId) as JobRow | undefined;
      return row && rowToJob(row);
    });
  }

  getJobStatus(id: string, ownerKeyId: string): Promise<JobStatusRecord | undefined> {
    return this.reads.read(() => {
      const row = this.sql.getJobStatus.get(id, ownerKeyId) as JobStatusRow | undefined;
      return row && rowToJobStatus(row);
    });
  }

  async cancelJob(id: string, ownerKeyId: string, now: number): Promise<CancelOutcome> {
    if (this.sql.cancelQueued.run({ id, owner: ownerKeyId, now }).changes === 1) {
      this.settles.notify(id);
      return 'cancelled';
    }
    const row = this.sql.getState.get(id, ownerKeyId) as { state: string } | undefined;
    if (!row) return 'not_found';
    return row.state === 'cancelled' ? 'cancelled' : 'not_cancellable';
  }

  async getJobAttemptState(id: string): Promise<JobAttemptState | undefined> {
    const row = this.sql.getJobAttemptState.get(id) as JobRow | undefined;
    return row && rowToJobAttemptState(row);
  }

  async claimNext(workerId: string, leaseMs: number, now: number, limits?: ClaimLimits): Promise<ClaimedJob | undefined> {
    // .all(), not .get(): see claimNext in sqlite-statements.ts (a failed commit must throw).
    const [row] = this.sql.claimNext.all({ worker: workerId, lease_until: now + leaseMs, now, max_running: limits?.maxRunningPerKey ?? 0 }) as JobRow[];
    return row && rowToClaimedJob(row);
  }

  async heartbeat(id: string, attempt: number, leaseMs: number, now: number): Promise<boolean> {
    return this.sql.heartbeat.run({ id, attempt, lease_until: now + leaseMs }).changes === 1;
  }

  async reportProgress(id: string, attempt: number, progress: number): Promise<boolean> {
    return this.sql.reportProgress.run({ id, attempt, progress }).changes === 1;
  }

  async complete(id: string, attempt: number, outputs: JobOutputFile[], now: number, usage: JobUsage = NO_USAGE, notices?: readonly string[]): Promise<boolean> {
    return this.settled(id, this.sql.complete.run({ id, attempt, outputs: JSON.stringify(outputs), now, ...usageToColumns(usage), notices: noticesColumn(notices) }).changes === 1);
  }

  async fail(id: string, attempt: number, error: JobError, now: number): Promise<boolean> {
    return this.settled(id, this.sql.fail.run({ id, attempt, type: error.type, message: error.message, now }).changes === 1);
  }

  async release(id: string, attempt: number): Promise<boolean> {
    const released = this.sql.release.run({ id, attempt }).changes === 1;
    if (released) this.wakeups.notify();
    return released;
  }

  async retry(id: string, attempt: number, error: JobError, now: number, notBefore?: number): Promise<'requeued' | 'failed' | undefined> {
    const [row] = this.sql.retry.all({ id, attempt, type: error.type, message: error.message, now, not_before: notBefore ?? null }) as Array<{ state: string }>;
    if (!row) return undefined;
    if (row.state === 'queued') this.wakeups.notify();
    else this.settles.notify(id);
    return row.state === 'queued' ? 'requeued' : 'failed';
  }

  async sweepExpiredLeases(now: number): Promise<SweepResult> {
    const result: SweepResult = { requeued: [], failed: [] };
    const expired = this.sql.listExpired.all(now) as Array<{ id: string; attempt: number; lost_leases: number; max_attempts: number }>;
    for (const job of expired) {
      const exhausted = job.lost_leases + 1 >= job.max_attempts;
      const statement = exhausted ? this.sql.failExpired : this.sql.requeueExpired;
      const params = exhausted ? { id: job.id, attempt: job.attempt, now, message: workerLostMessage(job.max_attempts) } : { id: job.id, attempt: job.attempt, now };
      if (statement.run(params).changes === 1) (exhausted ? result.failed : result.requeued).push(job.id);
    }
    if (result.requeued.length > 0) this.wakeups.notify();
    for (const failed of result.failed) this.settles.notify(failed);
    return result;
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    const statement = query.groupBy === 'model' ? this.sql.usageByModel : query.groupBy === 'day' ? this.sql.usageByDay : this.sql.usageTotal;
    return (statement.all({ owner: query.ownerKeyId, from: query.from, to: query.to }) as UsageRow[]).map(rowToUsageGroup);
  }

  async loadByModel(): Promise<ModelLoad[]> {
    return (this.sql.loadByModel.all() as LoadRow[]).map(rowToModelLoad);
  }

  async hitRateWindow(key: string, windowStart: number): Promise<number> {
    const [row] = this.sql.hitRateWindow.all(key, windowStart) as Array<{ hits: number }>;
    return row!.hits;
  }

  async pruneRateWindows(before: number): Promise<number> {
    return this.sql.pruneRateWindows.run(before).changes;
  }

  onJobAvailable(listener: () => void): () => void {
    return this.wakeups.subscribe(listener);
  }

  async listJobs(query: JobListQuery): Promise<ListedJob[]> {
    const rows = this.sql.listJobs.all({
      owner: query.ownerKeyId,
      before: query.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      limit: query.limit,
      model: query.modelId ?? null,
      states: query.states ? JSON.stringify(query.states) : null,
      since: query.createdSince ?? null,
    }) as JobRow[];
    return rows.map(rowToListedJob);
  }

  async tombstoneJob(id: string, ownerKeyId: string, now: number): Promise<boolean> {
    return this.sql.tombstoneJob.run({ id, owner: ownerKeyId, now }).changes === 1;
  }

  async listFinishedBefore(before: number, limit: number): Promise<DeletableJob[]> {
    return (this.sql.listFinishedBefore.all(before, limit) as JobRow[]).map(rowToDeletableJob);
  }

  onJobSettled(id: string, listener: () => void): () => void {
    return this.settles.subscribe(id, listener);
  }

  /** Wakes this process's Prefer: wait requests after a settle that took. */
  private settled(id: string, took: boolean): boolean {
    if (took) this.settles.notify(id);
    return took;
  }

  async close(): Promise<void> {
    await this.batcher.flush();
    this.reads.flush();
    this.wakeups.clear();
    this.settles.clear();
    this.db.close();
  }

  // Webhooks (migration 0011). Deliveries are made by a trigger on jobs; this process learns of
  // them by polling (capabilities.crossProcessWakeups is false), so onWebhookDue never fires.
  private webhookStatements: SqliteWebhookStatements | undefined;

  private get webhookSql(): SqliteWebhookStatements {
    return (this.webhookStatements ??= prepareWebhookStatements(this.db));
  }

  async claimWebhookDelivery(leaseMs: number, now: number): Promise<WebhookDelivery | undefined> {
    const [row] = this.webhookSql.claim.all({ now, lease_until: now + leaseMs }) as DeliveryRow[];
    return row && rowToDelivery(row);
  }

  async settleWebhookDelivery(id: string, attempts: number, outcome: WebhookOutcome): Promise<boolean> {
    return this.webhookSql.settle.run({ id: Number(id), attempts, ...outcomeColumns(outcome) }).changes === 1;
  }

  async getWebhookState(jobId: string): Promise<WebhookState | undefined> {
    return rowToWebhookState(this.webhookSql.state.get(jobId) as WebhookStateRow | undefined);
  }

  async ensureSetting(name: string, valueIfAbsent: string): Promise<string> {
    this.webhookSql.insertSetting.run(name, valueIfAbsent);
    return (this.webhookSql.getSetting.get(name) as { value: string }).value;
  }

  onWebhookDue(_listener: () => void): () => void {
    return () => {};
  }
}
