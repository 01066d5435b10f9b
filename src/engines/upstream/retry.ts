/**
 * Retrying transient failures within one attempt. A network error, a timeout or a 5xx during a
 * long run is normal weather for a hosted API and must not fail (or re-run) a job that is fine
 * upstream; only a streak of failures longer than `retry_budget_s` does. A `Retry-After` on 429
 * or 503 is honoured (capped by `max_retry_after_s`); otherwise delays grow from poll_min_ms to
 * poll_max_ms with jitter.
 */
import type { Logger } from 'pino';
import { RetryableEngineError } from '../engine.ts';
import { retryDelay, sleep } from './backoff.ts';
import { TransientError } from './http.ts';
import type { UpstreamOptions } from './options.ts';

export interface RetryContext {
  /** tokenEnv is here for the messages that name it when the upstream refuses the token. */
  options: Pick<UpstreamOptions, 'origin' | 'tokenEnv' | 'pollMinMs' | 'pollMaxMs' | 'retryBudgetMs' | 'maxRetryAfterMs'>;
  signal: AbortSignal;
  log: Logger;
}

export async function withRetries<T>(what: string, call: () => Promise<T>, { options, signal, log }: RetryContext): Promise<T> {
  let firstFailure: number | undefined;
  for (let failures = 0; ; failures++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TransientError) || signal.aborted) throw error;
      firstFailure ??= Date.now();
      const backoff = retryDelay(failures, options.pollMinMs, options.pollMaxMs);
      const wait = error.retryAfterMs === undefined ? backoff : Math.max(Math.min(error.retryAfterMs, options.maxRetryAfterMs), options.pollMinMs);
      if (Date.now() + wait - firstFailure > options.retryBudgetMs) {
        // The upstream's outage is not the job's fault: the worker requeues it (within
        // MODELGATE_MAX_ATTEMPTS), and a later attempt may find the upstream back.
        throw new RetryableEngineError('upstream_unavailable', `The upstream at ${options.origin} kept failing while ${what} for ${Math.round((Date.now() - firstFailure) / 1000)} s (last: ${error.message}); giving up.`);
      }
      log.warn({ what, failure: error.message, retry_in_ms: wait, failures: failures + 1, ...(error.retryAfterMs === undefined ? {} : { retry_after_ms: error.retryAfterMs }) }, 'upstream call failed; retrying');
      await sleep(wait, signal);
    }
  }
}
