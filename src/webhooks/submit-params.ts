/**
 * The submit route's webhook query parameters: `webhook=<url>` and
 * `webhook_events_filter=completed,start,progress` (comma-separated or repeated; default
 * `completed`). The URL passes the outbound address policy of file inputs at submit, DNS
 * included (https only unless MODELGATE_INPUT_ALLOW_HTTP, MODELGATE_INPUT_ALLOW_HOSTS exempts,
 * non-public addresses refused), and again at every delivery, since DNS answers can change.
 */
import { ApiError } from '../errors.ts';
import { InputError } from '../inputs/errors.ts';
import { resolvePinned, systemResolver, type Resolver } from '../inputs/resolve-host.ts';
import { checkUrl, type UrlPolicy } from '../inputs/url-policy.ts';
import type { JobWebhook, WebhookEvent } from '../store/store.ts';

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ['completed', 'start', 'progress'];
/** Long enough for any real endpoint with a token in its query; the input URL limit. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

function invalid(param: string, msg: string, type: string): ApiError {
  return new ApiError('invalid_input', `Query parameter ${param}: ${msg}.`, { detail: [{ loc: ['query', param], msg, type }] });
}

/** One value of a query parameter; several of `webhook` are refused (which one would be meant?). */
function values(raw: unknown): string[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

export function parseEvents(raw: unknown): WebhookEvent[] {
  const words = values(raw).flatMap((value) => value.split(',')).map((word) => word.trim()).filter((word) => word !== '');
  if (raw !== undefined && words.length === 0) throw invalid('webhook_events_filter', `must name at least one of ${WEBHOOK_EVENTS.join(', ')}`, 'value_error');
  const unknown = words.filter((word) => !(WEBHOOK_EVENTS as readonly string[]).includes(word));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((word) => JSON.stringify(word.slice(0, 40))).join(', ');
    throw invalid('webhook_events_filter', `unknown event ${shown}; the events are ${WEBHOOK_EVENTS.join(', ')}`, 'enum');
  }
  const events = WEBHOOK_EVENTS.filter((event) => words.includes(event));
  return events.length > 0 ? events : ['completed'];
}

/** The input library's words name "the input URL"; here it is the webhook's. */
function webhookWords(error: InputError): string {
  return error.message.replace(/the input URL/g, 'the webhook URL').replace(/the input /g, 'the webhook ');
}

/**
 * The job's webhook from the submit's query, checked; undefined when none was given. Throws
 * 422001 naming the parameter and why.
 */
export async function webhookFromQuery(query: Record<string, unknown> | undefined, policy: UrlPolicy, resolver: Resolver | undefined): Promise<JobWebhook | undefined> {
  const urls = values(query?.webhook);
  const filter = query?.webhook_events_filter;
  if (urls.length === 0) {
    if (filter !== undefined) throw invalid('webhook_events_filter', 'needs a webhook URL in the webhook query parameter', 'missing');
    return undefined;
  }
  if (urls.length > 1) throw invalid('webhook', 'give one webhook URL, not several', 'value_error');
  const events = parseEvents(filter);
  try {
    const checked = checkUrl(urls[0]!, { ...policy, maxUrlLength: Math.min(policy.maxUrlLength ?? MAX_WEBHOOK_URL_LENGTH, MAX_WEBHOOK_URL_LENGTH) });
    // The address the host has now must be public too; deliveries check it again.
    await resolvePinned(checked, resolver ?? systemResolver, AbortSignal.timeout(5_000));
    if (checked.url.hash !== '') throw new InputError('bad_url', 'the webhook URL must not carry a #fragment');
    return { url: checked.url.href, events };
  } catch (error) {
    if (error instanceof InputError) throw invalid('webhook', webhookWords(error), `webhook_${error.reason}`);
    if ((error as Error | undefined)?.name === 'TimeoutError') throw invalid('webhook', 'the webhook URL host did not resolve in time', 'webhook_dns');
    throw error;
  }
}
