/**
 * The client side of the job lifecycle: submit, status, result, cancel. The API routes are thin
 * wrappers around these; so is anything else that accepts jobs (the CLI's local mode, tests).
 *
 *   in_queue ──claim──▶ in_progress ──▶ completed (result: succeeded | failed)
 *      └──cancel──▶ cancelled
 */
import { v7 as uuidv7 } from 'uuid';
import { invalidInputMessage } from '../catalog/bounded-detail.ts';
import { withoutUnknownFields } from '../catalog/unknown-fields.ts';
import type { Context } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { JobRecord, JobStatusRecord } from '../store/store.ts';
import { webhookFromQuery } from '../webhooks/submit-params.ts';
import { checkFileInputs } from './file-inputs.ts';
import { IDEMPOTENCY_TTL_MS, idempotencyMismatch, requestHash } from './idempotency.ts';
import { requestUrls, resultView, statusView, type RequestUrls, type ResultView, type StatusView } from './job-views.ts';

export interface SubmitResponse extends RequestUrls {
  request_id: string;
  /** MODELGATE_UNKNOWN_INPUTS=ignore: the fields the job runs without; absent when none were. */
  ignored_fields?: string[];
}

export interface CancelResponse {
  request_id: string;
  status: StatusView['status'];
  outcome: 'cancelled' | 'not_cancellable';
}

type JobContext = Pick<Context, 'store' | 'catalog' | 'blobs' | 'config' | 'uploads' | 'resolver'>;

/**
 * Ids we hand out are UUIDs; anything outside this shape cannot name a job and is answered
 * without asking the store (PostgreSQL refuses a NUL in a text parameter: that was a 500).
 */
const PLAUSIBLE_ID = /^[\w.:-]{1,128}$/;

function notFound(id: string): ApiError {
  // The same words whether the id never existed or belongs to another key; an id that a client
  // made up is echoed only in part, so a 10,000-character id does not make a 10 kB answer.
  const shown = PLAUSIBLE_ID.test(id) ? id : `${JSON.stringify(id.slice(0, 64)).slice(1, -1)}${id.length > 64 ? '…' : ''}`;
  return new ApiError('not_found', `Request ${shown} was not found.`);
}

export class JobService {
  constructor(private readonly ctx: JobContext) {}

  /**
   * Validates, defaults and durably stores a job; resolves once it is committed. `query` is the
   * submit's query string: `webhook` and `webhook_events_filter` (webhooks/submit-params.ts).
   */
  async submit(ownerKeyId: string, modelId: string, body: unknown, idempotencyKey?: string, query?: Record<string, unknown>): Promise<SubmitResponse> {
    const model = this.ctx.catalog.get(modelId);
    if (!model) {
      throw new ApiError('unknown_model', `Unknown model id "${modelId}". GET /v1/models lists the available models.`);
    }
    // Ignoring is opt-in: by default an unknown field is an error, so a typo is never a default.
    const stripped = this.ctx.config.unknownInputs === 'ignore' ? withoutUnknownFields(model.inputSchema, body) : undefined;
    const ignoredFields = stripped?.ignored ?? [];
    const checked = this.ctx.catalog.validate(modelId, stripped ? stripped.body : body);
    if (!checked.ok) {
      throw new ApiError('invalid_input', invalidInputMessage(modelId, checked.detail), { detail: checked.detail });
    }
    const input = model.fileInputs.length > 0 ? await checkFileInputs(this.ctx, ownerKeyId, model, checked.value) : checked.value;
    const { allowHttp, allowHosts, limits } = this.ctx.config.inputs;
    const webhook = await webhookFromQuery(query, { allowHttp, allowHosts, maxUrlLength: limits.maxUrlLength }, this.ctx.resolver);
    const now = Date.now();
    // UUIDv7: time-ordered, so inserts append to the id index instead of touching a random page
    // (2.6x less insert CPU, docs/benchmarks.md), with 74 random bits: still unguessable.
    const job = { id: uuidv7(), ownerKeyId, modelId, input, ignoredFields, maxAttempts: this.ctx.config.maxAttempts, createdAt: now, ...(webhook ? { webhook } : {}) };
    let id = job.id;
    if (idempotencyKey === undefined) await this.ctx.store.insertJob(job);
    else {
      const claim = { key: idempotencyKey, requestHash: requestHash(modelId, body, webhook), now, expiresAt: now + IDEMPOTENCY_TTL_MS };
      const inserted = await this.ctx.store.insertJobOnce(job, claim);
      if (inserted.outcome === 'mismatch') throw idempotencyMismatch(idempotencyKey);
      id = inserted.requestId;
    }
    // A replay has the same body (same hash), so it answers the same ignored fields.
    const answer: SubmitResponse = { request_id: id, ...requestUrls(this.ctx.config.publicUrl, id) };
    if (ignoredFields.length > 0) answer.ignored_fields = ignoredFields;
    return answer;
  }

  async get(ownerKeyId: string, id: string): Promise<JobRecord> {
    if (!PLAUSIBLE_ID.test(id)) throw notFound(id);
    const job = await this.ctx.store.getJob(id, ownerKeyId);
    if (!job) throw notFound(id);
    return job;
  }

  async status(ownerKeyId: string, id: string): Promise<StatusView> {
    return statusView(await this.getStatus(ownerKeyId, id), this.ctx.config.publicUrl);
  }

  /** The narrow read behind every poll: only what the status answer shows. */
  private async getStatus(ownerKeyId: string, id: string): Promise<JobStatusRecord> {
    if (!PLAUSIBLE_ID.test(id)) throw notFound(id);
    const job = await this.ctx.store.getJobStatus(id, ownerKeyId);
    if (!job) throw notFound(id);
    return job;
  }

  async result(ownerKeyId: string, id: string, options: { includeCost?: boolean; includeInput?: boolean } = {}): Promise<ResultView> {
    const job = await this.get(ownerKeyId, id);
    // `webhook`: the completed event's delivery, for jobs submitted with one.
    return resultView(job, this.ctx.blobs, { ...options, retentionMs: this.ctx.config.outputRetentionMs, webhook: await this.ctx.store.getWebhookState(job.id) });
  }

  async cancel(ownerKeyId: string, id: string): Promise<CancelResponse> {
    if (!PLAUSIBLE_ID.test(id)) throw notFound(id);
    const outcome = await this.ctx.store.cancelJob(id, ownerKeyId, Date.now());
    if (outcome === 'not_found') throw notFound(id);
    const job = await this.getStatus(ownerKeyId, id);
    return { request_id: id, status: statusView(job, this.ctx.config.publicUrl).status, outcome };
  }
}
