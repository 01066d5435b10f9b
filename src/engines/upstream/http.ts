/**
 * HTTP to the upstream API: one undici Pool on the configured origin, the bearer token on every
 * call, bounded JSON bodies, and one classification of what went wrong, which the retry loop and
 * the error mapping act on:
 *   TransientError   network failure, timeout, 408/425/429/5xx: worth retrying (with Retry-After)
 *   UpstreamRefused  any other non-2xx: the upstream said no; retrying would get the same answer
 * undici never follows redirects here, so the token is only ever sent to the configured origin.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Pool, type Dispatcher, type FormData } from 'undici';
import { ByteLimit } from '../../inputs/body-limits.ts';
import { parseRetryAfter } from './backoff.ts';
import type { UpstreamOptions } from './options.ts';

export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

export class UpstreamRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
    this.name = 'UpstreamRefused';
  }
}

/** A 2xx whose body is not the JSON we expect: a protocol mismatch, not worth retrying. */
export class UpstreamBadResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamBadResponse';
  }
}

export interface JsonResponse {
  status: number;
  json: unknown;
}

/** Status and result bodies are small; anything bigger is not what we asked for. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

type Method = 'GET' | 'POST';

export class UpstreamHttp {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(private readonly options: Pick<UpstreamOptions, 'baseUrl' | 'origin' | 'token' | 'requestTimeoutMs'>) {
    this.pool = new Pool(options.origin, {
      connect: { timeout: options.requestTimeoutMs },
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      connections: 16,
    });
    this.basePath = new URL(options.baseUrl).pathname.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return {
      'user-agent': 'ModelGate-upstream-engine',
      accept: 'application/json',
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...extra,
    };
  }

  /** True for a URL on the configured origin, which may be fetched with this pool (and the token). */
  isOwnOrigin(url: URL): boolean {
    return url.origin === this.options.origin;
  }

  private async send(method: Method, path: string, signal: AbortSignal, body: Dispatcher.DispatchOptions['body'], headers: Record<string, string>): Promise<Dispatcher.ResponseData> {
    try {
      return await this.pool.request({ method, path, body: body ?? null, headers: this.headers(headers), signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw networkError(error);
    }
  }

  /** A JSON call; `path` is under base_url (e.g. `/v1/requests/ID/status`). */
  async json(method: Method, path: string, signal: AbortSignal, options: { body?: unknown; headers?: Record<string, string>; form?: FormData } = {}): Promise<JsonResponse> {
    const headers: Record<string, string> = { ...options.headers };
    let body: Dispatcher.DispatchOptions['body'];
    if (options.form) body = options.form as unknown as Dispatcher.DispatchOptions['body'];
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await this.send(method, this.basePath + path, signal, body, headers);
    let text: string;
    try {
      text = await readCapped(response.body, MAX_JSON_BYTES);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error instanceof UpstreamBadResponse ? error : networkError(error);
    }
    const json = parseJson(text);
    if (RETRYABLE_STATUS.has(response.statusCode)) {
      throw new TransientError(`HTTP ${response.statusCode}${describeBody(json)}`, parseRetryAfter(response.headers['retry-after']));
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw new UpstreamRefused(response.statusCode, json);
    if (json === undefined) throw new UpstreamBadResponse(`HTTP ${response.statusCode} with a body that is not JSON`);
    return { status: response.statusCode, json };
  }

  /**
   * Streams a URL on the configured origin into `dest` (created exclusively), at most `maxBytes`.
   * Returns the declared Content-Type, which the caller only uses when sniffing finds nothing.
   */
  async download(url: URL, dest: string, maxBytes: number, signal: AbortSignal): Promise<{ contentType: string | undefined; sizeBytes: number }> {
    const response = await this.send('GET', url.pathname + url.search, signal, null, { accept: '*/*', 'accept-encoding': 'identity' });
    if (response.statusCode !== 200) {
      response.body.on('error', () => undefined).destroy();
      if (RETRYABLE_STATUS.has(response.statusCode)) throw new TransientError(`HTTP ${response.statusCode}`, parseRetryAfter(response.headers['retry-after']));
      throw new UpstreamRefused(response.statusCode, undefined);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.body.on('error', () => undefined).destroy();
      throw new OutputTooLarge(maxBytes);
    }
    const limit = new ByteLimit(maxBytes, 'wire');
    try {
      await pipeline(response.body, limit, createWriteStream(dest, { flags: 'wx', mode: 0o600 }), { signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (limit.count > maxBytes) throw new OutputTooLarge(maxBytes);
      throw networkError(error);
    }
    const type = response.headers['content-type'];
    return { contentType: typeof type === 'string' ? type : undefined, sizeBytes: limit.count };
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}

export class OutputTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
    this.name = 'OutputTooLarge';
  }
}

/**
 * Network failures carry a code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT,
 * …) and become retryable; the message never holds our headers. Anything without a code is a bug
 * of ours, rethrown as it is rather than retried until the budget runs out.
 */
function networkError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
  const name = typeof code === 'string' ? code : typeof cause === 'string' ? cause : undefined;
  return name === undefined ? error : new TransientError(`network error (${name})`);
}

async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      body.destroy();
      throw new UpstreamBadResponse(`a response body over ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A short, safe description of an error body for a retry log line. */
function describeBody(json: unknown): string {
  const message = (json as { error_message?: unknown } | undefined)?.error_message;
  return typeof message === 'string' ? `: ${message.slice(0, 200)}` : '';
}
