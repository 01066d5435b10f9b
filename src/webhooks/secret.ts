/**
 * Which key signs deliveries: MODELGATE_WEBHOOK_SECRET when set, else the one stored in the
 * database's settings, made by whichever process asks first (insert-if-absent, then read), so
 * every API server and worker on one database signs with the same key.
 */
import type { Store } from '../store/store.ts';
import type { WebhookSettings } from './settings.ts';
import { formatWebhookSecret, generateWebhookSecret, parseWebhookSecret } from './signing.ts';

export const SECRET_SETTING = 'webhook_secret';

/** The secret as `whsec_<base64>`, and where it comes from. */
export async function webhookSecret(settings: Pick<WebhookSettings, 'secret'>, store: Pick<Store, 'ensureSetting'>): Promise<{ text: string; key: Buffer; source: 'environment' | 'database' }> {
  if (settings.secret) return { text: formatWebhookSecret(settings.secret), key: settings.secret, source: 'environment' };
  const text = await store.ensureSetting(SECRET_SETTING, generateWebhookSecret());
  return { text, key: parseWebhookSecret(text), source: 'database' };
}
