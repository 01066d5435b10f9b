/**
 * Best-effort POST /v1/requests/{id}/cancel when we stop following an upstream job (lost lease,
 * shutdown, our own timeout, an upstream we gave up on). RunComfy cancels only queued requests
 * and answers `not_cancellable` for running ones; either way the answer is logged and never
 * fails the attempt, which is already ending for its own reason. Bounded by its own short timeout,
 * since the attempt's signal has usually fired already.
 */
import type { Logger } from 'pino';
import type { UpstreamHttp } from './http.ts';

const CANCEL_TIMEOUT_MS = 5_000;

export async function cancelUpstream(http: UpstreamHttp, requestId: string, why: string, log: Logger): Promise<void> {
  try {
    const { json } = await http.json('POST', `/v1/requests/${encodeURIComponent(requestId)}/cancel`, AbortSignal.timeout(CANCEL_TIMEOUT_MS));
    const outcome = (json as { outcome?: unknown; status?: unknown }).outcome ?? (json as { status?: unknown }).status;
    log.info({ upstream_request_id: requestId, outcome, why }, 'asked the upstream to cancel its request');
  } catch (error) {
    log.warn({ upstream_request_id: requestId, why, failure: (error as Error).message }, 'could not cancel the upstream request (best effort)');
  }
}
