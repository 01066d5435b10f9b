/**
 * Standard Webhooks v1 signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the bytes of a `whsec_<base64>` secret
 * (24 to 64 bytes, as the specification's libraries accept).
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
const MIN_BYTES = 24;
const MAX_BYTES = 64;

/** The key bytes of a `whsec_<base64>` secret; throws with what is wrong (never the value). */
export function parseWebhookSecret(text: string): Buffer {
  if (!text.startsWith(PREFIX)) throw new Error(`must start with ${PREFIX} followed by base64 (e.g. the output of: modelgate webhooks secret)`);
  const encoded = text.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) throw new Error(`must be ${PREFIX} followed by standard base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_BYTES || key.length > MAX_BYTES) throw new Error(`must decode to ${MIN_BYTES} to ${MAX_BYTES} bytes, got ${key.length}`);
  return key;
}

export function formatWebhookSecret(key: Buffer): string {
  return `${PREFIX}${key.toString('base64')}`;
}

/** A new random secret of 32 bytes. */
export function generateWebhookSecret(): string {
  return formatWebhookSecret(randomBytes(32));
}

/** The `webhook-signature` header's value for one attempt. */
export function signWebhook(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
