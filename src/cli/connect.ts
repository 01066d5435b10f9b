/** Where the client commands (models, run) send their requests: flags first, then the environment. */
import { ModelGateClient } from '../client/index.ts';
import type { Config } from '../config.ts';
import { UsageError } from './usage-error.ts';

export interface Connection {
  client: ModelGateClient;
  baseUrl: string;
  apiKey: string;
}

export function connect(config: Config, flags: Record<string, string>, env: Record<string, string | undefined>): Connection {
  const apiKey = flags.key ?? env.MODELGATE_API_KEY;
  if (!apiKey) throw new UsageError('no API key: pass --key or set MODELGATE_API_KEY (serve prints the first key when it creates the database)');
  const baseUrl = (flags.url ?? env.MODELGATE_URL ?? config.publicUrl).replace(/\/+$/, '');
  return { client: new ModelGateClient({ baseUrl, apiKey }), baseUrl, apiKey };
}
