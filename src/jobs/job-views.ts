/**
 * The wire shapes of SPEC §2, built from stored records. This is the one place that knows how
 * internal states map onto RunComfy's: a finished run shows `completed` on the status route
 * whatever its outcome, and the result route says `succeeded` or `failed`.
 */
import type { BlobStore } from '../blobs/blob-store.ts';
import { TERMINAL_STATES, type JobOutputFile, type JobRecord, type JobState, type JobStatusRecord, type WebhookState } from '../store/store.ts';

export type WireStatus = 'in_queue' | 'in_progress' | 'completed' | 'cancelled';
export type WireResultStatus = 'in_queue' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';

const STATUS_OF: Record<JobState, WireStatus> = {
  queued: 'in_queue',
  running: 'in_progress',
  succeeded: 'completed',
  failed: 'completed',
  cancelled: 'cancelled',
};

const RESULT_STATUS_OF: Record<JobState, WireResultStatus> = {
  queued: 'in_queue',
  running: 'in_progress',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

export interface RequestUrls {
  status_url: string;
  result_url: string;
  cancel_url: string;
}

export function requestUrls(publicUrl: string, id: string): RequestUrls {
  const base = `${publicUrl}/v1/requests/${encodeURIComponent(id)}`;
  return { status_url: `${base}/status`, result_url: `${base}/result`, cancel_url: `${base}/cancel` };
}

export interface StatusView {
  request_id: string;
  status: WireStatus;
  queue_position?: number;
  progress?: number;
  status_url: string;
  result_url: string;
  /** MODELGATE_UNKNOWN_INPUTS=ignore: the submitted fields the job runs without, only when there were some. */
  ignored_fields?: string[];
}

export function statusView(job: JobStatusRecord, publicUrl: string): StatusView {
  const { status_url, result_url } = requestUrls(publicUrl, job.id);
  const view: StatusView = { request_id: job.id, status: STATUS_OF[job.state], status_url, result_url };
  if (job.state === 'queued') view.queue_position = job.queuePosition ?? 0;
  if (job.state === 'running' && job.progress !== null) view.progress = job.progress;
  if (job.ignoredFields.length > 0) view.ignored_fields = job.ignoredFields;
  return view;
}

export interface OutputView {
  image?: string;
  video?: string;
  images?: string[];
  videos?: string[];
}

/** One file of a kind is `image`/`video`; several are `images`/`videos` (the output schema). */
export function outputView(files: readonly JobOutputFile[], blobs: BlobStore): OutputView {
  const output: OutputView = {};
  const images = files.filter((f) => f.kind === 'image').map((f) => blobs.url(f.key));
  const videos = files.filter((f) => f.kind === 'video').map((f) => blobs.url(f.key));
  if (images.length === 1) output.image = images[0]!;
  else if (images.length > 1) output.images = images;
  if (videos.length === 1) output.video = videos[0]!;
  else if (videos.length > 1) output.videos = videos;
  return output;
}

export interface ResultView {
  request_id: string;
  status: WireResultStatus;
  output?: OutputView;
  error?: { type: string; message: string };
  created_at: string;
  finished_at?: string;
  metrics?: { queue_seconds?: number; run_seconds?: number };
  ignored_fields?: string[];
  /** `?include_input=true`: the input as stored at submit (what the job runs with). */
  input?: Record<string, unknown>;
  /** `?include_cost=true`, finished requests only: USD as recorded when the job settled. */
  cost?: number;
  /** MODELGATE_OUTPUT_RETENTION_HOURS, finished requests only: when the janitor deletes it. */
  expires_at?: string;
  /** What the engine said beside the output (an extension), only when it said something. */
  notices?: string[];
  /** `?webhook=` with the `completed` event: how its delivery stands (an extension). */
  webhook?: WebhookState;
}

/** When a finished job is deleted by retention (undefined: retention off, or not finished). */
function expiresAt(job: JobRecord, retentionMs: number | undefined): string | undefined {
  if (retentionMs === undefined || job.finishedAt === null || !TERMINAL_STATES.has(job.state)) return undefined;
  return new Date(job.finishedAt + retentionMs).toISOString();
}

export function resultView(job: JobRecord, blobs: BlobStore, options: { includeCost?: boolean; includeInput?: boolean; retentionMs?: number | undefined; webhook?: WebhookState | undefined } = {}): ResultView {
  const view: ResultView = { request_id: job.id, status: RESULT_STATUS_OF[job.state], created_at: new Date(job.createdAt).toISOString() };
  if (job.state === 'succeeded') view.output = outputView(job.outputs ?? [], blobs);
  if (job.state === 'failed' && job.error) view.error = job.error;
  if (job.finishedAt !== null) view.finished_at = new Date(job.finishedAt).toISOString();
  if (job.state === 'succeeded' || job.state === 'failed') {
    const metrics: NonNullable<ResultView['metrics']> = {};
    if (job.startedAt !== null) metrics.queue_seconds = (job.startedAt - job.createdAt) / 1000;
    if (job.startedAt !== null && job.finishedAt !== null) metrics.run_seconds = (job.finishedAt - job.startedAt) / 1000;
    view.metrics = metrics;
  }
  if (job.ignoredFields.length > 0) view.ignored_fields = job.ignoredFields;
  if (job.state === 'succeeded' && job.notices && job.notices.length > 0) view.notices = job.notices;
  // Only the owner gets here (getJob is owner-scoped); data: URIs are already upload URLs.
  if (options.includeInput) view.input = job.input;
  // Failed and cancelled jobs were settled with no usage: they cost 0, which is what they show.
  if (options.includeCost && TERMINAL_STATES.has(job.state)) view.cost = job.usage.costUsd;
  const expires = expiresAt(job, options.retentionMs);
  if (expires !== undefined) view.expires_at = expires;
  if (options.webhook) view.webhook = { state: options.webhook.state, attempts: options.webhook.attempts };
  return view;
}

/** What `Prefer: wait` adds to a submit's answer: the status route's word, and the result once finished. */
export interface SettledFields {
  status: WireStatus;
  output?: OutputView;
  error?: { type: string; message: string };
}

export function settledFields(job: JobRecord, blobs: BlobStore): SettledFields {
  const fields: SettledFields = { status: STATUS_OF[job.state] };
  if (job.state === 'succeeded') fields.output = outputView(job.outputs ?? [], blobs);
  if (job.state === 'failed' && job.error) fields.error = job.error;
  return fields;
}

/** One entry of GET /v1/requests: who, what, when and the outputs, in the result route's words. */
export interface HistoryItemView {
  request_id: string;
  model_id: string;
  status: WireResultStatus;
  created_at: string;
  finished_at?: string;
  output?: OutputView;
  error?: { type: string; message: string };
  expires_at?: string;
  status_url: string;
  result_url: string;
}

export function historyItemView(job: JobRecord, blobs: BlobStore, publicUrl: string, retentionMs: number | undefined): HistoryItemView {
  const { status_url, result_url } = requestUrls(publicUrl, job.id);
  const view: HistoryItemView = { request_id: job.id, model_id: job.modelId, status: RESULT_STATUS_OF[job.state], created_at: new Date(job.createdAt).toISOString(), status_url, result_url };
  if (job.finishedAt !== null) view.finished_at = new Date(job.finishedAt).toISOString();
  if (job.state === 'succeeded') view.output = outputView(job.outputs ?? [], blobs);
  if (job.state === 'failed' && job.error) view.error = job.error;
  const expires = expiresAt(job, retentionMs);
  if (expires !== undefined) view.expires_at = expires;
  return view;
}

/** The result route's status words, as the history's `status` filter takes them. */
export const RESULT_STATES: Record<WireResultStatus, JobState> = {
  in_queue: 'queued',
  in_progress: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};
