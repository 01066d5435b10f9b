/**
 * One delivery attempt: POST the signed body to the webhook URL through the outbound address
 * policy of file inputs, checked again now (the host's DNS answer may have changed since the
 * submit: rebinding), connecting only to the address just checked (the pinned connector). No
 * redirect is followed, the whole attempt has 10 seconds, and at most a few KiB of the answer
 * are read (only to let the connection finish cleanly; the body is never kept).
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { Client } from 'undici';
import { InputError } from '../inputs/errors.ts';
import { pinnedConnector } from '../inputs/pinned-connector.ts';
import { resolvePinned, systemResolver, type Resolver } from '../inputs/resolve-host.ts';
import { checkUrl, type UrlPolicy } from '../inputs/url-policy.ts';

/** RunComfy: "returning any 2xx within 10 seconds". */
export const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 4 * 1024;
export const USER_AGENT = 'ModelGate-Webhooks/1 (+https://www.standardwebhooks.com/)';

export interface DeliveryRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  policy: UrlPolicy;
  resolver: Resolver | undefined;
  /** Shutdown: the attempt stops at once. */
  signal: AbortSignal;
  timeoutMs?: number;
}

/** What came back: an HTTP status (with Retry-After, when sent), or why there was none. */
export type AttemptResult =
  | { kind: 'answered'; status: number; retryAfter: string | undefined }
  | { kind: 'unreachable'; reason: 'timeout' | 'connect' | 'dns' | 'aborted'; message: string }
  /** The URL or its address is no longer allowed: never retried. */
  | { kind: 'refused'; message: string };

export async function sendWebhook(request: DeliveryRequest): Promise<AttemptResult> {
  const deadline = AbortSignal.timeout(request.timeoutMs ?? DELIVERY_TIMEOUT_MS);
  const signal = AbortSignal.any([request.signal, deadline]);
  let client: Client | undefined;
  try {
    const checked = checkUrl(request.url, request.policy);
    const pinned = await resolvePinned(checked, request.resolver ?? systemResolver, signal);
    // undici is loaded on the first delivery, not at start (inputs/pinned-connector.ts says why).
    const { Client: UndiciClient } = await import('undici');
    const connect = await pinnedConnector({ pinned, servername: isIP(checked.host) === 0 ? checked.host : undefined, allowListed: checked.allowListed, connectTimeoutMs: 5_000 });
    client = new UndiciClient(checked.url.origin, {
      connect,
      headersTimeout: request.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      bodyTimeout: request.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      pipelining: 1,
    });
    const response = await client.request({
      path: checked.url.pathname + checked.url.search,
      method: 'POST',
      signal,
      headers: { ...request.headers, 'user-agent': USER_AGENT, 'content-length': String(Buffer.byteLength(request.body)) },
      body: request.body,
    });
    await readSome(response.body);
    const retryAfter = response.headers['retry-after'];
    return { kind: 'answered', status: response.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
  } catch (error) {
    return classify(error, request.signal, deadline);
  } finally {
    await client?.destroy().catch(() => undefined);
  }
}

/** Reads up to MAX_ANSWER_BYTES of the answer and drops the rest with the connection. */
async function readSome(body: Readable): Promise<void> {
  let read = 0;
  body.on('error', () => undefined);
  try {
    for await (const chunk of body) {
      read += (chunk as Buffer).length;
      if (read >= MAX_ANSWER_BYTES) break;
    }
  } catch {
    // A receiver that answered and then dropped the connection still answered.
  } finally {
    body.destroy();
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

function classify(error: unknown, stop: AbortSignal, deadline: AbortSignal): AttemptResult {
  if (stop.aborted) return { kind: 'unreachable', reason: 'aborted', message: 'the attempt was stopped (shutdown)' };
  const cause = error instanceof Error && error.cause instanceof InputError ? error.cause : error;
  if (cause instanceof InputError) {
    if (cause.reason === 'dns') return { kind: 'unreachable', reason: 'dns', message: 'the webhook host could not be resolved' };
    return { kind: 'refused', message: cause.message.replace(/the input URL/g, 'the webhook URL') };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (deadline.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return { kind: 'unreachable', reason: 'timeout', message: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` };
  }
  return { kind: 'unreachable', reason: 'connect', message: `the connection failed (${typeof code === 'string' ? code : 'error'})` };
}
