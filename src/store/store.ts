/**
 * The Store seam: everything durable (jobs and API keys) behind one interface, so that the job
 * lifecycle, the API and the workers never see a database client. SQLite is the embedded
 * backend; a PostgreSQL backend implements the same interface (claims with SKIP LOCKED, wake-ups
 * with LISTEN/NOTIFY) and runs the same behavioural suite (test/store/store-suite.ts).
 *
 * Glossary: a job's `attempt` is its fencing token: it grows by one at every claim, and every
 * write a worker makes names the attempt it holds, so a worker that lost its lease cannot touch
 * a newer attempt. `lostLeases` counts claims that ended for a reason outside the job (a worker
 * died, or its engine reported a retryable failure such as a lost GPU server): that is the retry
 * budget bounded by `maxAttempts`.
 */

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

export interface JobError {
  type: string;
  message: string;
}

/** One stored output file; URLs are made from keys when a response is built. */
export interface JobOutputFile {
  key: string;
  kind: 'image' | 'video';
  contentType: string;
}

/**
 * What a settled job produced and what it cost at the price of the moment it settled, written by
 * the same statement that settles it. Kept to a millisecond and a millionth of a dollar.
 */
export interface JobUsage {
  /** Output files made (images, or videos). */
  outputs: number;
  /** Seconds of video among them. */
  seconds: number;
  costUsd: number;
}

/** A job that settled without a result (failed, cancelled, or settled before costs were kept). */
export const NO_USAGE: JobUsage = Object.freeze({ outputs: 0, seconds: 0, costUsd: 0 });

/** GET /v1/usage: one key's jobs that finished (succeeded or failed) in [from, to), epoch ms. */
export interface UsageQuery {
  ownerKeyId: string;
  from: number;
  to: number;
  /** Absent: one total. `day` is the UTC date of finished_at, `YYYY-MM-DD`. */
  groupBy?: 'model' | 'day';
}

export interface UsageGroup extends JobUsage {
  /** The model id or day; null for the total of an ungrouped query. */
  key: string | null;
  jobs: number;
}

export interface JobRecord {
  id: string;
  ownerKeyId: string;
  modelId: string;
  /** The fully defaulted input, exactly as it will run. */
  input: Record<string, unknown>;
  /** Submitted fields the input schema does not list, dropped (MODELGATE_UNKNOWN_INPUTS=ignore); sorted, often empty. */
  ignoredFields: string[];
  state: JobState;
  attempt: number;
  maxAttempts: number;
  lostLeases: number;
  workerId: string | null;
  leaseUntil: number | null;
  progress: number | null;
  outputs: JobOutputFile[] | null;
  error: JobError | null;
  /** Epoch milliseconds. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** NO_USAGE until the job succeeds. */
  usage: JobUsage;
  /** What the engine said beside a successful run's output (EngineResult.notices); absent when it said nothing, nearly always. */
  notices?: string[];
  /** 0-based count of queued jobs ahead of this one; only set while queued. */
  queuePosition: number | null;
}

export interface NewJob {
  id: string;
  ownerKeyId: string;
  modelId: string;
  input: Record<string, unknown>;
  /** Absent: none were ignored. */
  ignoredFields?: string[];
  maxAttempts: number;
  createdAt: number;
  /** `?webhook=`: where to POST the job's events; absent for a job without one. */
  webhook?: JobWebhook;
}

export interface ClaimedJob {
  id: string;
  /** The key that submitted the job: uploads named in its input must belong to it. */
  ownerKeyId: string;
  modelId: string;
  input: Record<string, unknown>;
  attempt: number;
  createdAt: number;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The non-secret start of the key, for lists and logs. */
  prefix: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  hash: string;
  createdAt: number;
  revokedAt: number | null;
  /**
   * How many of this key's jobs may run at once: null follows MODELGATE_MAX_RUNNING_PER_KEY,
   * 0 lets this key run any number, N > 0 at most N (`modelgate keys create|set --max-running`).
   */
  maxRunning: number | null;
}

/** The part of a job a status poll shows (Store.getJobStatus). */
export type JobStatusRecord = Pick<JobRecord, 'id' | 'state' | 'progress' | 'ignoredFields' | 'queuePosition'>;

/** A file uploaded with POST /v1/files, measured once at upload. */
export interface FileRecord {
  id: string;
  ownerKeyId: string;
  blobKey: string;
  kind: 'image' | 'video';
  contentType: string;
  sizeBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  durationSeconds: number | null;
  createdAt: number;
  expiresAt: number;
}

/** An Idempotency-Key on a submit: the first job for (owner, key) answers every retry until it expires. */
export interface IdempotencyClaim {
  key: string;
  /** Digest of what was submitted (model and body), to tell a retry from a different request. */
  requestHash: string;
  now: number;
  expiresAt: number;
}

/** `created`: this call made the job; `replayed`: an earlier identical request did; `mismatch`: the key was used for a different request. */
export type IdempotentInsert = { outcome: 'created' | 'replayed' | 'mismatch'; requestId: string };

export type CancelOutcome = 'cancelled' | 'not_cancellable' | 'not_found';

export interface SweepResult {
  requeued: string[];
  failed: string[];
}

/** What housekeeping (the orphan reaper) needs to know of a job: which attempt may still settle, and which output files it kept. */
export interface JobAttemptState {
  state: JobState;
  attempt: number;
  outputs: JobOutputFile[] | null;
}

/** What a claim must respect besides the queue order. */
export interface ClaimLimits {
  /**
   * MODELGATE_MAX_RUNNING_PER_KEY: a key never has more running jobs than this; its queued jobs
   * are skipped (others' run meanwhile) until one of its running jobs settles. 0: unlimited.
   */
  maxRunningPerKey: number;
}

/** One model's share of the queue, for the metrics gauges. */
export interface ModelLoad {
  modelId: string;
  queued: number;
  running: number;
}

/** GET /v1/requests: one page of a key's own jobs, newest first; deleted jobs are never listed. */
export interface JobListQuery {
  ownerKeyId: string;
  /** Rows to read; the caller asks for one more than it shows, to know whether a next page exists. */
  limit: number;
  /** Keyset: only jobs whose seq is below this (the last seq of the previous page); absent: from the newest. */
  beforeSeq?: number;
  modelId?: string;
  /** Any of these states; absent: every state. */
  states?: readonly JobState[];
  /** Only jobs created at or after this, epoch ms. */
  createdSince?: number;
}

/** A job as the history lists it: the record and its place in the keyset (the cursor names a seq). */
export interface ListedJob extends JobRecord {
  seq: number;
}

/** What deleting a finished job needs to know before its files go (retention, DELETE). */
export interface DeletableJob {
  id: string;
  ownerKeyId: string;
  outputs: JobOutputFile[] | null;
  input: Record<string, unknown>;
}


export interface StoreCapabilities {
  /** Whether a submit in one process wakes idle workers in another (LISTEN/NOTIFY). */
  crossProcessWakeups: boolean;
  /**
   * Whether API servers should count rate limits in the store's rate windows: true where several
   * API servers share the store (PostgreSQL); false on SQLite, whose one API process counts in
   * memory exactly and without a write (and an fsync) per request.
   */
  sharedRateWindows: boolean;
  /**
   * Whether a job settled by another process (a worker elsewhere, a cancel on another API
   * server) wakes onJobSettled listeners here (LISTEN/NOTIFY). Without it, Prefer: wait also
   * re-reads the job on a slow timer, for workers outside this process.
   */
  crossProcessSettleWakeups: boolean;
}

export interface Store {
  readonly capabilities: StoreCapabilities;

  // API keys
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when there is no such key or it was already revoked. */
  revokeApiKey(id: string, now: number): Promise<boolean>;
  /** Sets (or with null, clears) a key's own running-jobs quota; false when no key has that id. */
  setApiKeyMaxRunning(id: string, maxRunning: number | null): Promise<boolean>;

  // Uploaded files. Reads take the owner, like jobs.
  insertFile(file: FileRecord): Promise<void>;
  getFile(id: string, ownerKeyId: string): Promise<FileRecord | undefined>;
  /** Deletes up to `limit` files that expired by `now` and returns them, so their blobs can go too. */
  deleteExpiredFiles(now: number, limit: number): Promise<FileRecord[]>;

  // Jobs, client side. Reads take the owner so another key's job is simply absent.
  /** Resolves once the job is durably committed; concurrent inserts may share one commit. */
  insertJob(job: NewJob): Promise<void>;
  /** Inserts the job unless the owner's key already names a live one; atomic against concurrent retries. */
  insertJobOnce(job: NewJob, claim: IdempotencyClaim): Promise<IdempotentInsert>;
  getJob(id: string, ownerKeyId: string): Promise<JobRecord | undefined>;
  /** What a status poll answers, and nothing else (no input or outputs to read and parse): the hottest read. */
  getJobStatus(id: string, ownerKeyId: string): Promise<JobStatusRecord | undefined>;
  cancelJob(id: string, ownerKeyId: string, now: number): Promise<CancelOutcome>;
  /** A job's state, attempt and outputs by id alone, whatever its owner: for housekeeping, never for a client's answer. */
  getJobAttemptState(id: string): Promise<JobAttemptState | undefined>;

  // Jobs, worker side. Every write after the claim is fenced on (id, attempt, state='running').
  /** `limits` (default: none) is enforced by the claim itself, atomically across processes. */
  claimNext(workerId: string, leaseMs: number, now: number, limits?: ClaimLimits): Promise<ClaimedJob | undefined>;
  heartbeat(id: string, attempt: number, leaseMs: number, now: number): Promise<boolean>;
  reportProgress(id: string, attempt: number, progress: number): Promise<boolean>;
  /** Settles the job as succeeded with its outputs, `usage` (default NO_USAGE) and the engine's `notices` (default none) in one statement. */
  complete(id: string, attempt: number, outputs: JobOutputFile[], now: number, usage?: JobUsage, notices?: readonly string[]): Promise<boolean>;
  fail(id: string, attempt: number, error: JobError, now: number): Promise<boolean>;
  /** Gives a claimed job back to the queue without spending its retry budget (graceful stop). */
  release(id: string, attempt: number): Promise<boolean>;
  /**
   * Gives a claimed job back to the queue after a failure outside the job (RetryableEngineError),
   * spending one unit of its retry budget like a lost lease; once `lostLeases` reaches
   * `maxAttempts` the job fails with `error` instead. Fenced like every worker write; resolves
   * with what happened, or undefined when the attempt no longer holds the job. A requeued job
   * cannot be claimed before `notBefore` (default: at once), the back-off after a storage fault.
   */
  retry(id: string, attempt: number, error: JobError, now: number, notBefore?: number): Promise<'requeued' | 'failed' | undefined>;
  /** Requeues (or fails, past the budget) running jobs whose lease ran out. */
  sweepExpiredLeases(now: number): Promise<SweepResult>;

  /**
   * One aggregate over a key's finished jobs: a group per model or day (ordered by key), or a
   * single total. Another key's jobs are never counted.
   */
  usage(query: UsageQuery): Promise<UsageGroup[]>;

  /** Queued and running jobs per model (models with neither are absent): one grouped count, for /metrics. */
  loadByModel(): Promise<ModelLoad[]>;

  /**
   * Shared rate limits: counts one more request of `key` in the fixed window starting at
   * `windowStart` (epoch ms) and resolves with the window's count so far, atomically across every
   * process on the store. The API uses it where `capabilities.sharedRateWindows` says so.
   */
  hitRateWindow(key: string, windowStart: number): Promise<number>;
  /** Deletes rate windows that started before `before`; resolves with how many. */
  pruneRateWindows(before: number): Promise<number>;

  /** Calls the listener when a job may have become claimable; returns the unsubscribe. */
  onJobAvailable(listener: () => void): () => void;

  // Request history, deletion and retention (GET /v1/requests, DELETE /v1/requests/{id}).
  /** One page of a key's jobs by descending seq over one index range (keyset, never OFFSET). */
  listJobs(query: JobListQuery): Promise<ListedJob[]>;
  /**
   * Makes a finished job a tombstone: input and outputs cleared, `deleted_at` set; id, owner,
   * seq, state and usage kept. From then on every read by id (getJob, cancelJob, the history)
   * treats it as absent. False when the job is not the owner's, not finished, or already deleted.
   * Callers remove the job's files first (jobs/deletion.ts), so a crash leaves a job without
   * files, never files nobody tracks.
   */
  tombstoneJob(id: string, ownerKeyId: string, now: number): Promise<boolean>;
  /** Up to `limit` finished, undeleted jobs of any key that finished at or before `before`, oldest first (retention). */
  listFinishedBefore(before: number, limit: number): Promise<DeletableJob[]>;
  /**
   * Calls the listener when job `id` may have settled (succeeded, failed, cancelled), here or,
   * where capabilities.crossProcessSettleWakeups says so, in another process; also when settles
   * may have been missed (a dropped LISTEN connection). The listener re-reads the job. Returns
   * the unsubscribe.
   */
  onJobSettled(id: string, listener: () => void): () => void;

  close(): Promise<void>;

  // Webhooks (migration 0011). Deliveries are made by a trigger on jobs, in the transaction of
  // the state change they report; the delivery loops (src/webhooks/) claim them like jobs.
  /** Takes the next due delivery (fresh ones first, then retries by time), leased until now + leaseMs; attempts grows by one. */
  claimWebhookDelivery(leaseMs: number, now: number): Promise<WebhookDelivery | undefined>;
  /** Records an attempt's outcome, fenced on (id, attempts) like a job's settle; false when a later claim holds it. */
  settleWebhookDelivery(id: string, attempts: number, outcome: WebhookOutcome): Promise<boolean>;
  /** The `completed` delivery's state for the result route; undefined when the job has no webhook or did not ask for `completed`. */
  getWebhookState(jobId: string): Promise<WebhookState | undefined>;
  /** An install-wide setting: stores `valueIfAbsent` unless one is stored, then answers the stored one (every process agrees). */
  ensureSetting(name: string, valueIfAbsent: string): Promise<string>;
  /**
   * Calls the listener when a delivery may have become due: in another process too where
   * capabilities.crossProcessWakeups says so; otherwise never (the loops poll). Returns the unsubscribe.
   */
  onWebhookDue(listener: () => void): () => void;
}

export type WebhookEvent = 'completed' | 'start' | 'progress';

/** A job's webhook: the checked URL and the events it asked for (never empty). */
export interface JobWebhook {
  url: string;
  events: readonly WebhookEvent[];
}

/** One claimed delivery: which job's which event to send where, and its attempt (fencing token). */
export interface WebhookDelivery {
  id: string;
  jobId: string;
  ownerKeyId: string;
  event: WebhookEvent;
  url: string;
  /** 1 on the first claim; also the `attempts` the result route shows while this one runs. */
  attempts: number;
  /** When the first attempt began (the retry horizon counts from it), epoch ms. */
  firstAttemptAt: number;
  /** When the event happened, epoch ms. */
  createdAt: number;
}

/** `delivering` with `nextAt`: a retry is due then; `delivered` and `failed` are final. */
export type WebhookOutcome =
  | { state: 'delivered'; now: number; status: number }
  | { state: 'delivering'; now: number; nextAt: number; status: number | null; error: string }
  | { state: 'failed'; now: number; status: number | null; error: string };

/** pending: not tried yet; delivering: tried, not yet answered 2xx (in flight or awaiting a retry); delivered; failed (given up). */
export type WebhookDeliveryState = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface WebhookState {
  state: WebhookDeliveryState;
  attempts: number;
}
