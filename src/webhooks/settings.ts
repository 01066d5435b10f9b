/**
 * The webhook settings and their defaults (folded into Config as `webhooks`):
 * MODELGATE_WEBHOOK_SECRET, _RETRY_HOURS, _RETRY_BASE_MS, _CONCURRENCY.
 */
import { ConfigError } from '../config-error.ts';
import { parseWebhookSecret } from './signing.ts';

export interface WebhookSettings {
  /** The signing key, decoded from MODELGATE_WEBHOOK_SECRET; undefined: the one stored in the database (made on first use). */
  secret: Buffer | undefined;
  /** How long after its first attempt a delivery is still retried (Standard Webhooks and RunComfy: about a day). */
  retryHorizonMs: number;
  /** The ceiling of the first retry's wait; each further retry doubles it (full jitter: a random wait below it). */
  retryBaseMs: number;
  /** Deliveries in flight at once per process that runs workers. */
  concurrency: number;
}

export const WEBHOOK_DEFAULTS = { retryHours: 24, retryBaseMs: 5_000, concurrency: 8 } as const;

type Env = Record<string, string | undefined>;

function numberSetting(env: Env, name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || (integer && !Number.isInteger(value))) throw new ConfigError(name, `must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${raw}`);
  return value;
}

export function webhookSettingsFromEnv(env: Env): WebhookSettings {
  const raw = env.MODELGATE_WEBHOOK_SECRET?.trim();
  let secret: Buffer | undefined;
  if (raw) {
    try {
      secret = parseWebhookSecret(raw);
    } catch (error) {
      // The value itself is never echoed: it is a secret.
      throw new ConfigError('MODELGATE_WEBHOOK_SECRET', (error as Error).message);
    }
  }
  return {
    secret,
    retryHorizonMs: Math.round(numberSetting(env, 'MODELGATE_WEBHOOK_RETRY_HOURS', WEBHOOK_DEFAULTS.retryHours, 0.001, 24 * 7, false) * 3600_000),
    retryBaseMs: numberSetting(env, 'MODELGATE_WEBHOOK_RETRY_BASE_MS', WEBHOOK_DEFAULTS.retryBaseMs, 10, 3600_000, true),
    concurrency: numberSetting(env, 'MODELGATE_WEBHOOK_CONCURRENCY', WEBHOOK_DEFAULTS.concurrency, 1, 256, true),
  };
}
