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
}

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

/** Differences between backends, named instead of tested for with `if (sqlite)`. */
export interface StoreCapabilities {
  /** Whether a submit in one process wakes idle workers in another (LISTEN/NOTIFY). */
  crossProcessWakeups: boolean;
  /**
   * Whether API servers should count rate limits in the store's rate windows: true where several
   * API servers share the store (PostgreSQL); false on SQLite, whose one API process counts in
   * memory exactly and without a write (and an fsync) per request.
   */
  sharedRateWindows: boolean;
}

export interface Store {
  readonly capabilities: StoreCapabilities;

  // API keys
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when there is no such key or it was already revoked. */
  revokeApiKey(id: string, now: number): Promise<boolean>;

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
  cancelJob(id: string, ownerKeyId: string, now: number): Promise<CancelOutcome>;
  /** A job's state, attempt and outputs by id alone, whatever its owner: for housekeeping, never for a client's answer. */
  getJobAttemptState(id: string): Promise<JobAttemptState | undefined>;

  // Jobs, worker side. Every write after the claim is fenced on (id, attempt, state='running').
  /** `limits` (default: none) is enforced by the claim itself, atomically across processes. */
  claimNext(workerId: string, leaseMs: number, now: number, limits?: ClaimLimits): Promise<ClaimedJob | undefined>;
  heartbeat(id: string, attempt: number, leaseMs: number, now: number): Promise<boolean>;
  reportProgress(id: string, attempt: number, progress: number): Promise<boolean>;
  /** Settles the job as succeeded with its outputs and `usage` (default NO_USAGE) in one statement. */
  complete(id: string, attempt: number, outputs: JobOutputFile[], now: number, usage?: JobUsage): Promise<boolean>;
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

  close(): Promise<void>;
}
