/**
 * `Idempotency-Key` on submit (Stripe's rules): the same key with the same request returns the
 * first request's `request_id` for 24 hours; the same key with a different request is a 422. Keys
 * are scoped to the API key, so two tenants can use the same value.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { JobWebhook } from '../store/store.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Validates the header; undefined when absent. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !KEY_PATTERN.test(value)) {
    throw new ApiError('invalid_input', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.', {
      detail: [{ loc: ['header', 'idempotency-key'], msg: '1 to 255 printable ASCII characters', type: 'value_error' }],
    });
  }
  return value;
}

/** JSON with object keys sorted, so a retry that orders its fields differently still matches. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What a retry must repeat exactly: the model, the body as sent (before defaults) and the webhook, if any. */
export function requestHash(modelId: string, body: unknown, webhook?: JobWebhook): string {
  const hash = createHash('sha256').update(modelId).update('\0').update(canonicalJson(body));
  // Without a webhook the digest is what it was before webhooks existed, so stored keys still match.
  if (webhook) hash.update('\0webhook\0').update(canonicalJson({ url: webhook.url, events: webhook.events }));
  return hash.digest('hex');
}

export function idempotencyMismatch(key: string): ApiError {
  return new ApiError('invalid_input', `Idempotency-Key "${key}" was already used with a different request; use a new key for a new request.`, {
    detail: [{ loc: ['header', 'idempotency-key'], msg: 'already used with a different request body, model or webhook', type: 'idempotency_mismatch' }],
  });
}
