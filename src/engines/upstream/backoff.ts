/**
 * Waiting between calls to the upstream: jittered exponential delays (so many workers polling
 * one provider do not fall into step), `Retry-After` parsing, and an abortable sleep.
 */

/** `base` scaled by a random factor in [0.8, 1.2): enough spread to break lock-step polling. */
export function jitter(base: number, random: () => number = Math.random): number {
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The n-th retry delay (n from 0): min × 2^n, capped at max, jittered. */
export function retryDelay(n: number, minMs: number, maxMs: number, random?: () => number): number {
  return jitter(Math.min(maxMs, minMs * 2 ** Math.min(n, 30)), random);
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
