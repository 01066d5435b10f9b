/**
 * `modelgate webhooks secret`: prints the key webhook deliveries are signed with, as receivers
 * configure it (`whsec_<base64>`): MODELGATE_WEBHOOK_SECRET when set, else the one stored in the
 * database, made now if no process has made it yet. It goes to stdout and nowhere else.
 */
import type { Config } from '../config.ts';
import { createStore } from '../store/create-store.ts';
import { webhookSecret } from '../webhooks/secret.ts';
import { UsageError } from './usage-error.ts';

const USAGE = 'usage: modelgate webhooks secret';

export async function webhooksCommand(config: Config, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'secret' || rest.length > 0) throw new UsageError(action === undefined ? USAGE : `unknown webhooks command ${JSON.stringify([action, ...rest].join(' '))}; ${USAGE}`);
  const store = await createStore(config);
  try {
    const secret = await webhookSecret(config.webhooks, store);
    process.stdout.write(`${secret.text}\n`);
    process.stderr.write(secret.source === 'environment' ? 'from MODELGATE_WEBHOOK_SECRET\n' : 'stored in the database; set MODELGATE_WEBHOOK_SECRET to use another\n');
  } finally {
    await store.close();
  }
}
