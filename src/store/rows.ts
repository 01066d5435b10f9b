/** Row ↔ record mapping shared by every SQL backend, so they answer with identical records. */
import type { ApiKeyRecord, ClaimedJob, DeletableJob, FileRecord, ListedJob, JobAttemptState, JobOutputFile, JobRecord, JobState, JobStatusRecord, JobUsage, ModelLoad, NewJob, UsageGroup } from './store.ts';

export interface JobRow {
  seq: number | string;
  id: string;
  owner_key_id: string;
  model_id: string;
  input: string;
  /** JSON array of names; NULL when none were ignored (and on jobs from before 0006). */
  ignored_fields: string | null;
  state: string;
  attempt: number;
  max_attempts: number;
  lost_leases: number;
  worker_id: string | null;
  lease_until: number | string | null;
  progress: number | null;
  outputs: string | null;
  error_type: string | null;
  error_message: string | null;
  created_at: number | string;
  started_at: number | string | null;
  finished_at: number | string | null;
  output_count: number | string;
  output_ms: number | string;
  cost_microusd: number | string;
  /** JSON array of the engine's notices (migration 0014); NULL when there were none. */
  notices?: string | null;
  queue_position?: number | string | null;
}

/** The columns Store.getJobStatus reads. */
export type JobStatusRow = Pick<JobRow, 'id' | 'state' | 'progress' | 'ignored_fields' | 'queue_position'>;

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: number | string;
  revoked_at: number | string | null;
  max_running?: number | null;
}

// PostgreSQL returns bigint columns as strings; epoch milliseconds fit a double exactly.
const num = (value: number | string): number => (typeof value === 'number' ? value : Number(value));
const numOrNull = (value: number | string | null | undefined): number | null => (value === null || value === undefined ? null : num(value));

export function rowToJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    ownerKeyId: row.owner_key_id,
    modelId: row.model_id,
    input: JSON.parse(row.input) as Record<string, unknown>,
    ignoredFields: row.ignored_fields ? (JSON.parse(row.ignored_fields) as string[]) : [],
    state: row.state as JobState,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    lostLeases: row.lost_leases,
    workerId: row.worker_id,
    leaseUntil: numOrNull(row.lease_until),
    progress: row.progress,
    outputs: row.outputs ? (JSON.parse(row.outputs) as JobRecord['outputs']) : null,
    error: row.error_type ? { type: row.error_type, message: row.error_message ?? '' } : null,
    createdAt: num(row.created_at),
    startedAt: numOrNull(row.started_at),
    finishedAt: numOrNull(row.finished_at),
    usage: rowToUsage(row),
    queuePosition: row.state === 'queued' ? numOrNull(row.queue_position) : null,
    ...(row.notices ? { notices: JSON.parse(row.notices) as string[] } : {}),
  };
}

export function rowToJobStatus(row: JobStatusRow): JobStatusRecord {
  return {
    id: row.id,
    state: row.state as JobState,
    progress: row.progress,
    ignoredFields: row.ignored_fields ? (JSON.parse(row.ignored_fields) as string[]) : [],
    queuePosition: row.state === 'queued' ? numOrNull(row.queue_position) : null,
  };
}

/** The usage columns as stored: whole milliseconds and millionths of a dollar, so sums are exact. */
export interface UsageColumns {
  output_count: number;
  output_ms: number;
  cost_microusd: number;
}

export function usageToColumns(usage: JobUsage): UsageColumns {
  return { output_count: usage.outputs, output_ms: Math.round(usage.seconds * 1000), cost_microusd: Math.round(usage.costUsd * 1_000_000) };
}

function rowToUsage(row: { output_count: number | string; output_ms: number | string; cost_microusd: number | string }): JobUsage {
  return { outputs: num(row.output_count), seconds: num(row.output_ms) / 1000, costUsd: num(row.cost_microusd) / 1_000_000 };
}

/** One row of a usage aggregate (PostgreSQL returns count and sum as strings). */
export interface UsageRow {
  grp: string | null;
  jobs: number | string;
  output_count: number | string;
  output_ms: number | string;
  cost_microusd: number | string;
}

export function rowToUsageGroup(row: UsageRow): UsageGroup {
  return { key: row.grp, jobs: num(row.jobs), ...rowToUsage(row) };
}

/** The notices column of a completed job: NULL for none, the common case. */
export function noticesColumn(notices: readonly string[] | undefined): string | null {
  return notices && notices.length > 0 ? JSON.stringify(notices) : null;
}

/** The ignored_fields column of a new job: NULL for none, the common case. */
export function ignoredFieldsColumn(job: NewJob): string | null {
  return job.ignoredFields && job.ignoredFields.length > 0 ? JSON.stringify(job.ignoredFields) : null;
}

export function rowToJobAttemptState(row: Pick<JobRow, 'state' | 'attempt' | 'outputs'>): JobAttemptState {
  return { state: row.state as JobState, attempt: row.attempt, outputs: row.outputs ? (JSON.parse(row.outputs) as JobOutputFile[]) : null };
}

export function rowToClaimedJob(row: JobRow): ClaimedJob {
  return { id: row.id, ownerKeyId: row.owner_key_id, modelId: row.model_id, input: JSON.parse(row.input) as Record<string, unknown>, attempt: row.attempt, createdAt: num(row.created_at) };
}

export function rowToApiKey(row: ApiKeyRow): ApiKeyRecord {
  return { id: row.id, name: row.name, prefix: row.prefix, hash: row.hash, createdAt: num(row.created_at), revokedAt: numOrNull(row.revoked_at), maxRunning: row.max_running ?? null };
}

export interface FileRow {
  id: string;
  owner_key_id: string;
  blob_key: string;
  kind: string;
  content_type: string;
  size_bytes: number | string;
  sha256: string;
  width: number | null;
  height: number | null;
  duration_seconds: number | null;
  created_at: number | string;
  expires_at: number | string;
}

export function rowToFile(row: FileRow): FileRecord {
  return {
    id: row.id,
    ownerKeyId: row.owner_key_id,
    blobKey: row.blob_key,
    kind: row.kind as FileRecord['kind'],
    contentType: row.content_type,
    sizeBytes: num(row.size_bytes),
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    durationSeconds: row.duration_seconds,
    createdAt: num(row.created_at),
    expiresAt: num(row.expires_at),
  };
}

/** The columns of a file row, in the order both backends insert them. */
export function fileToRow(file: FileRecord): FileRow {
  return {
    id: file.id,
    owner_key_id: file.ownerKeyId,
    blob_key: file.blobKey,
    kind: file.kind,
    content_type: file.contentType,
    size_bytes: file.sizeBytes,
    sha256: file.sha256,
    width: file.width,
    height: file.height,
    duration_seconds: file.durationSeconds,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
  };
}

/** The error a job gets when its workers kept dying and its retry budget ran out. */
export function workerLostMessage(maxAttempts: number): string {
  return `The job was claimed ${maxAttempts} time(s) and each time its worker stopped answering (crash, kill or lost connection) before finishing; it will not be retried.`;
}

/** One row of the per-model load count (PostgreSQL returns sums as strings). */
export interface LoadRow {
  model_id: string;
  queued: number | string;
  running: number | string;
}

export function rowToModelLoad(row: LoadRow): ModelLoad {
  return { modelId: row.model_id, queued: num(row.queued), running: num(row.running) };
}

export function rowToListedJob(row: JobRow): ListedJob {
  return { ...rowToJob(row), seq: num(row.seq) };
}

export function rowToDeletableJob(row: Pick<JobRow, 'id' | 'owner_key_id' | 'outputs' | 'input'>): DeletableJob {
  return { id: row.id, ownerKeyId: row.owner_key_id, outputs: row.outputs ? (JSON.parse(row.outputs) as JobOutputFile[]) : null, input: JSON.parse(row.input) as Record<string, unknown> };
}
