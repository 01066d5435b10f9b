/**
 * On the very first start there is no key yet: make one and show it, once, with the two lines a
 * new user pastes into another terminal (the key as an export, and a request that works). It goes
 * to stderr, the terminal's side: stdout carries the JSON log lines, which log shippers collect.
 */
import { createApiKey } from '../auth/api-keys.ts';
import type { Context } from '../context.ts';

/** A prompt the bundled text-to-image model draws, so the first request shows what it can do. */
const FIRST_PROMPT = 'a red circle above a blue square on a yellow background';

/** A curl that works against this server: a text-to-image submit if the catalog has one, else the model list. */
export function firstCurl(ctx: Pick<Context, 'catalog'>, publicUrl: string): string {
  const auth = '-H "Authorization: Bearer $MODELGATE_API_KEY"';
  const model = ctx.catalog.models.find((m) => m.categories.includes('text-to-image'));
  if (!model) return `curl -s ${auth} ${publicUrl}/v1/models`;
  const body = JSON.stringify({ prompt: FIRST_PROMPT });
  return `curl -s ${auth} -H 'Content-Type: application/json' -d '${body}' ${publicUrl}/v1/models/${model.id}`;
}

export async function ensureFirstKey(ctx: Context): Promise<void> {
  if ((await ctx.store.listApiKeys()).length > 0) return;
  const { key } = await createApiKey(ctx.store, 'default');
  process.stderr.write(
    `\nCreated the first API key. It is shown only this once; keep it somewhere safe. In another terminal, paste:\n\n` +
      `  export MODELGATE_API_KEY=${key}\n` +
      `  ${firstCurl(ctx, ctx.config.publicUrl)}\n\n` +
      `Or open ${ctx.config.publicUrl}/ in a browser and sign in with the key (the web console).\n` +
      `More: modelgate models | run MODEL_ID --help | keys create --name NAME | keys list | keys revoke ID\n` +
      `(in a clone, modelgate is node bin/modelgate.mjs).\n\n`,
  );
}
