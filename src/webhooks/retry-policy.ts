/**
 * What an attempt's result means for its delivery. 2xx: delivered. 5xx, 408, 429, a timeout,
 * a refused or reset connection, a failed DNS lookup: tried again after an exponential back-off
 * with full jitter (a random wait below base × 2^(attempt-1), at most MAX_WAIT_MS), or after the
 * receiver's Retry-After (bounded), until the retry horizon after the first attempt has passed.
 * Everything else fails at once: a redirect (never followed), 410 Gone and the other 4xx (the
 * receiver refused this message; sending it again will not change that), and a URL whose
 * address is no longer allowed.
 */
import type { WebhookDelivery, WebhookOutcome } from '../store/store.ts';
import type { AttemptResult } from './send.ts';
import type { WebhookSettings } from './settings.ts';

/** No single wait is longer than this, so a day's horizon still holds several tries. */
export const MAX_WAIT_MS = 4 * 3600_000;
/** A Retry-After longer than this is taken as this. */
export const MAX_RETRY_AFTER_MS = 3600_000;

const RETRIED_STATUSES = new Set([408, 429]);

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/** The wait before the attempt after attempt number `attempts` (1-based), with full jitter. */
export function backoffMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_WAIT_MS, baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.floor(random() * ceiling);
}

/** A short, client-safe account of an attempt, kept as the delivery's last_error. */
export function describeResult(result: AttemptResult): string {
  if (result.kind === 'answered') return `HTTP ${result.status}${result.status >= 300 && result.status < 400 ? ' (redirects are not followed)' : ''}`;
  return result.message;
}

export function outcomeOf(
  result: AttemptResult,
  delivery: Pick<WebhookDelivery, 'attempts' | 'firstAttemptAt'>,
  settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryHorizonMs'>,
  now: number,
  random: () => number = Math.random,
): WebhookOutcome {
  const status = result.kind === 'answered' ? result.status : null;
  if (result.kind === 'answered' && result.status >= 200 && result.status < 300) return { state: 'delivered', now, status: result.status };
  const error = describeResult(result);
  const retryable = result.kind === 'unreachable' || (result.kind === 'answered' && (result.status >= 500 || RETRIED_STATUSES.has(result.status)));
  if (!retryable) return { state: 'failed', now, status, error };
  const asked = result.kind === 'answered' ? retryAfterMs(result.retryAfter, now) : undefined;
  const nextAt = now + (asked ?? backoffMs(delivery.attempts, settings.retryBaseMs, random));
  if (nextAt > delivery.firstAttemptAt + settings.retryHorizonMs) {
    return { state: 'failed', now, status, error: `${error}; gave up after ${delivery.attempts} attempts (retry horizon reached)` };
  }
  return { state: 'delivering', now, nextAt, status, error };
}
