/**
 * POST /v1/models/{id}: one upstream job per attempt. The Idempotency-Key is derived from our
 * request id and attempt, so a submit retried after a lost response (the upstream may have
 * committed it) gets the same upstream request back instead of a second job. A retried attempt
 * (new attempt number) deliberately makes a new upstream job: the old one was cancelled, or
 * belongs to a worker that lost its lease.
 */
import { EngineError, type EngineJob } from '../engine.ts';
import { refusedError } from './errors.ts';
import { UpstreamRefused, type UpstreamHttp } from './http.ts';
import { upstreamModelId, type UpstreamOptions } from './options.ts';
import { withRetries, type RetryContext } from './retry.ts';

export function idempotencyKey(job: Pick<EngineJob, 'requestId' | 'attempt'>): string {
  return `modelgate-${job.requestId}-${job.attempt}`;
}

export async function submit(job: EngineJob, body: Record<string, unknown>, http: UpstreamHttp, retry: RetryContext & { options: RetryContext['options'] & Pick<UpstreamOptions, 'models'> }): Promise<string> {
  const model = upstreamModelId(retry.options, job.modelId);
  let response;
  try {
    response = await withRetries(`submitting to ${model}`, () => http.json('POST', `/v1/models/${model}`, retry.signal, {
      body,
      headers: { 'idempotency-key': idempotencyKey(job) },
    }), retry);
  } catch (error) {
    if (error instanceof UpstreamRefused) throw refusedError(error, `the job for model ${model}`, retry.options.origin, retry.options.tokenEnv);
    throw error;
  }
  const answer = response.json as { request_id?: unknown; error_code?: unknown };
  // Some RunComfy routes answer 200 with an error envelope instead of an error status.
  if (typeof answer.request_id !== 'string' || answer.request_id === '') {
    if (answer.error_code !== undefined) throw refusedError(new UpstreamRefused(response.status, answer), `the job for model ${model}`, retry.options.origin, retry.options.tokenEnv);
    throw new EngineError('upstream_bad_response', `The upstream at ${retry.options.origin} accepted the job for model ${model} but returned no request_id.`);
  }
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(answer.request_id)) {
    throw new EngineError('upstream_bad_response', `The upstream at ${retry.options.origin} returned a request_id we cannot use in a URL.`);
  }
  return answer.request_id;
}
