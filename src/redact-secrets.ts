/**
 * Secrets that travel inside URLs: query parameters named like keys, tokens, signatures and
 * passwords (`?api_key=`, `access_token`, `X-Amz-Signature`, `sig`, …), and the password of a
 * `user:password@` part. The API never reads a key from the query, but clients send them there
 * all the same, and presigned or tokenised input URLs carry them by design; a log line must
 * never hold one, at any level.
 */

/** A query parameter whose name ends in one of these words (any case, any prefix) holds a secret. */
const SECRET_PARAM = /([?&;][\w.~%-]*?(?:key|token|secret|signature|sig|password|passwd|pwd|credential|credentials|auth)=)[^&#;\s"\\]+/gi;
/** `scheme://user:password@host`: the password, not the user. */
const URL_PASSWORD = /(\b[a-z][a-z\d+.-]*:\/\/[^/\s"@:\\]*:)[^@/\s"\\]+@/gi;

/** A Standard Webhooks signing secret (MODELGATE_WEBHOOK_SECRET, or the generated one): never in a log line. */
const WEBHOOK_SECRET = /\bwhsec_[A-Za-z0-9+/]+=*/g;

export const REDACTED = '[redacted]';

/** The text with every secret URL part (and any webhook secret) replaced; works on a URL alone or on a whole JSON log line. */
export function redactUrlSecrets(text: string): string {
  return text.replace(SECRET_PARAM, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`).replace(WEBHOOK_SECRET, `whsec_${REDACTED}`);
}
