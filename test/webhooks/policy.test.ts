/** The delivery rules on their own: what is retried and when, the secret's format, and that a secret never reaches a log line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { redactUrlSecrets } from '../../src/redact-secrets.ts';
import { backoffMs, MAX_RETRY_AFTER_MS, outcomeOf, retryAfterMs } from '../../src/webhooks/retry-policy.ts';
import type { AttemptResult } from '../../src/webhooks/send.ts';
import { generateWebhookSecret, parseWebhookSecret } from '../../src/webhooks/signing.ts';

const NOW = 1_800_000_000_000;
const settings = { retryBaseMs: 5_000, retryHorizonMs: 24 * 3600_000 };
const delivery = { attempts: 1, firstAttemptAt: NOW };
const answered = (status: number, retryAfter?: string): AttemptResult => ({ kind: 'answered', status, retryAfter });
const half = () => 0.5;

test('2xx is delivered; 5xx, 408, 429 and unreachable are retried; other 4xx, 410 and 3xx fail at once', () => {
  for (const status of [200, 201, 204, 299]) assert.equal(outcomeOf(answered(status), delivery, settings, NOW).state, 'delivered');
  for (const status of [500, 502, 503, 504, 408, 429]) assert.equal(outcomeOf(answered(status), delivery, settings, NOW).state, 'delivering', String(status));
  for (const reason of ['timeout', 'connect', 'dns'] as const) assert.equal(outcomeOf({ kind: 'unreachable', reason, message: 'x' }, delivery, settings, NOW).state, 'delivering');
  for (const status of [400, 401, 403, 404, 410, 422, 301, 302, 307, 308]) {
    const outcome = outcomeOf(answered(status), delivery, settings, NOW);
    assert.equal(outcome.state, 'failed', String(status));
  }
  assert.match(JSON.stringify(outcomeOf(answered(302), delivery, settings, NOW)), /redirects are not followed/);
  assert.equal(outcomeOf({ kind: 'refused', message: 'the webhook URL points to a private network address' }, delivery, settings, NOW).state, 'failed');
});

test('back-off: full jitter below base × 2^(attempt-1), capped; Retry-After is honoured within an hour; nothing past the horizon', () => {
  assert.equal(backoffMs(1, 5_000, half), 2_500);
  assert.equal(backoffMs(3, 5_000, half), 10_000);
  assert.equal(backoffMs(40, 5_000, () => 0.999_999), Math.floor(0.999_999 * 4 * 3600_000));
  assert.equal(backoffMs(2, 5_000, () => 0), 0);
  const retry = outcomeOf(answered(503), { attempts: 2, firstAttemptAt: NOW }, settings, NOW, half);
  assert.deepEqual(retry, { state: 'delivering', now: NOW, nextAt: NOW + 5_000, status: 503, error: 'HTTP 503' });
  assert.equal(retryAfterMs('120', NOW), 120_000);
  assert.equal(retryAfterMs(new Date(NOW + 30_000).toUTCString(), NOW), 30_000);
  assert.equal(retryAfterMs('99999', NOW), MAX_RETRY_AFTER_MS);
  assert.equal(retryAfterMs('soon', NOW), undefined);
  const asked = outcomeOf(answered(429, '7'), delivery, settings, NOW);
  assert.equal(asked.state === 'delivering' && asked.nextAt, NOW + 7_000);
  const late = outcomeOf(answered(500), { attempts: 9, firstAttemptAt: NOW - 24 * 3600_000 + 1_000 }, settings, NOW, half);
  assert.equal(late.state, 'failed');
  assert.match(JSON.stringify(late), /gave up after 9 attempts/);
});

test('the secret: whsec_ + base64 of 24-64 bytes, checked at config load without echoing it; scrubbed from log lines', () => {
  const made = generateWebhookSecret();
  assert.equal(parseWebhookSecret(made).length, 32);
  for (const bad of ['abc', 'whsec_', 'whsec_!!!!', `whsec_${Buffer.alloc(8).toString('base64')}`, `whsec_${Buffer.alloc(100).toString('base64')}`]) {
    assert.throws(() => loadConfig({ MODELGATE_WEBHOOK_SECRET: bad }), (error: unknown) => error instanceof ConfigError && /MODELGATE_WEBHOOK_SECRET/.test(error.message) && (bad.length < 10 || !error.message.includes(bad)));
  }
  assert.deepEqual(loadConfig({ MODELGATE_WEBHOOK_SECRET: made }).webhooks.secret, parseWebhookSecret(made));
  assert.throws(() => loadConfig({ MODELGATE_WEBHOOK_RETRY_HOURS: '0' }), /MODELGATE_WEBHOOK_RETRY_HOURS/);
  assert.equal(loadConfig({ MODELGATE_WEBHOOK_RETRY_HOURS: '0.5' }).webhooks.retryHorizonMs, 1_800_000);
  const line = JSON.stringify({ msg: 'config', secret: made, nested: `key=${made} end` });
  const scrubbed = redactUrlSecrets(line);
  assert.ok(!scrubbed.includes(made.slice(6)), scrubbed);
  assert.match(scrubbed, /whsec_\[redacted\]/);
});
