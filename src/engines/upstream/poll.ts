/**
 * Follows an upstream request to its end. Status is polled at poll_min_ms, backing off (×1.5,
 * jittered) towards poll_max_ms while nothing changes and snapping back when something does.
 * `completed` (and RunComfy's `succeeded`/`failed` on the status route) sends us to the result,
 * which may briefly still say in_progress (some providers lag): then polling simply continues.
 */
import { EngineError } from '../engine.ts';
import { jitter, sleep } from './backoff.ts';
import { failedJobError, refusedError } from './errors.ts';
import { UpstreamRefused, type UpstreamHttp } from './http.ts';
import { withRetries, type RetryContext } from './retry.ts';

interface StatusBody {
  status?: unknown;
  queue_position?: unknown;
  progress?: unknown;
}

export interface FinishedResult {
  output: unknown;
}

const FINISHED = new Set(['completed', 'succeeded', 'failed']);
const CANCELLED = new Set(['cancelled', 'canceled']);

/** Upstream progress is mapped into [0.05, 0.9]: the last tenth is copying outputs. */
export function mappedProgress(status: string, progress: unknown): number | undefined {
  if (status === 'in_queue') return 0;
  if (status !== 'in_progress') return undefined;
  const p = typeof progress === 'number' && Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
  return 0.05 + 0.85 * p;
}

export interface FollowContext extends RetryContext {
  http: UpstreamHttp;
  progress(fraction: number): void;
}

export async function follow(requestId: string, ctx: FollowContext): Promise<FinishedResult> {
  const { http, options, signal, log } = ctx;
  const path = `/v1/requests/${encodeURIComponent(requestId)}`;
  const call = async (what: string, route: string): Promise<Record<string, unknown>> => {
    try {
      return (await withRetries(what, () => http.json('GET', `${path}/${route}`, signal), ctx)).json as Record<string, unknown>;
    } catch (error) {
      if (error instanceof UpstreamRefused) throw refusedError(error, `${what} of request ${requestId}`, options.origin, options.tokenEnv);
      throw error;
    }
  };
  let delay = options.pollMinMs;
  let last = '';
  for (;;) {
    const status = (await call('polling the status', 'status')) as StatusBody;
    const state = typeof status.status === 'string' ? status.status.toLowerCase() : 'unknown';
    const seen = `${state}|${String(status.queue_position)}|${String(status.progress)}`;
    if (seen !== last) {
      log.debug({ upstream_request_id: requestId, status: state, queue_position: status.queue_position, progress: status.progress }, 'upstream status');
      last = seen;
      delay = options.pollMinMs;
    } else {
      delay = Math.min(options.pollMaxMs, delay * 1.5);
    }
    if (CANCELLED.has(state)) throw new EngineError('upstream_cancelled', `The upstream at ${options.origin} cancelled its request ${requestId} (not at our request).`);
    if (FINISHED.has(state)) {
      const result = await call('reading the result', 'result');
      const outcome = typeof result.status === 'string' ? result.status.toLowerCase() : 'unknown';
      if (outcome === 'succeeded' || outcome === 'completed') return { output: result.output };
      if (outcome === 'failed') throw failedJobError(result.error);
      if (CANCELLED.has(outcome)) throw new EngineError('upstream_cancelled', `The upstream at ${options.origin} cancelled its request ${requestId} (not at our request).`);
      // in_queue / in_progress: the result lags the status; keep polling.
    } else {
      const fraction = mappedProgress(state, status.progress);
      if (fraction !== undefined) ctx.progress(fraction);
      else log.warn({ upstream_request_id: requestId, status: state }, 'unknown upstream status; still polling');
    }
    await sleep(jitter(delay), signal);
  }
}
