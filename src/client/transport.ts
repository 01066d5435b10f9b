/**
 * One HTTP exchange with the API: the bearer key, JSON or multipart bodies, the error envelope
 * turned into ApiError, and retries of answers that say "not now" (429 rate limited, 503 shutting
 * down or storage failing: nothing was done, so any method may be sent again) after the server's
 * Retry-After, a bounded number of times and never for longer than a bounded wait each.
 */
import { ApiError, ModelGateConnectionError } from './errors.ts';
import type { ErrorEnvelope } from './wire.ts';

export interface RetryPolicy {
  /** How many times a 429/503 is retried before its ApiError is thrown (default 3; 0 = never). */
  retries?: number;
  /** The longest single wait; a Retry-After beyond it is thrown at once (default 30 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  retry?: RetryPolicy;
  /** Another fetch (a test double, a proxying fetch); default the global one. */
  fetch?: typeof fetch;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

const RETRIED_STATUSES = new Set([429, 503]);
/** When a 429/503 carries no Retry-After: 1 s, 2 s, 4 s … */
const FALLBACK_DELAY_MS = 1_000;

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function apiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let envelope: ErrorEnvelope | undefined;
  try {
    const parsed = text ? (JSON.parse(text) as Partial<ErrorEnvelope>) : undefined;
    if (parsed && typeof parsed.error_code === 'number') envelope = parsed as ErrorEnvelope;
  } catch {
    // not JSON: a proxy's error page; the HTTP status says what happened
  }
  return new ApiError(response.status, envelope, { retryAfterMs: parseRetryAfter(response.headers.get('retry-after')), statusText: response.statusText });
}

export class Transport {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly retries: number;
  private readonly maxDelayMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.retries = options.retry?.retries ?? 3;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
    // Bound to globalThis: a browser's fetch called as a method of another object throws.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Sends the request (again after each retryable answer) and returns the successful response. */
  async send(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const isForm = typeof FormData !== 'undefined' && options.body instanceof FormData;
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, ...options.headers };
    if (options.body !== undefined && !isForm) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? null : isForm ? (options.body as FormData) : JSON.stringify(options.body);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: options.signal ?? null });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new ModelGateConnectionError(this.baseUrl, error);
      }
      if (response.ok) return response;
      const error = await apiError(response);
      const delay = error.retryAfterMs ?? FALLBACK_DELAY_MS * 2 ** attempt;
      if (!RETRIED_STATUSES.has(response.status) || attempt >= this.retries || delay > this.maxDelayMs) throw error;
      await sleep(delay, options.signal);
    }
  }

  /** send() and the JSON body of its answer. */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
