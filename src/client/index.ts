/**
 * A typed client for the RunComfy-compatible API, ModelGate's or RunComfy's own (the same
 * routes, a base URL and a bearer key). Exported as `modelgate/client`; the CLI's `run` and
 * `models` commands are built on it. Plain fetch, no Node built-ins at load time, so it runs in
 * Node ≥ 20 and in a browser bundle alike (only `upload(path)` and `download()` need Node).
 *
 *   const client = new ModelGateClient({ baseUrl: 'http://127.0.0.1:8000', apiKey });
 *   const result = await client.run('bytedance/seedream-5/lite/text-to-image', { prompt: 'a red circle' },
 *     { onQueueUpdate: (status) => console.log(status.status, status.queue_position) });
 */
import { ApiError } from './errors.ts';
import { readEvents } from './event-stream.ts';
import { saveBody, toNamedBlob } from './file-source.ts';
import type { ModelInput } from './models.ts';
import { Transport, type RetryPolicy } from './transport.ts';
import type { CancelResponse, ModelDetail, ModelSummary, ResultView, StatusView, SubmitResponse, UploadResponse } from './wire.ts';

export { ApiError, ModelGateApiError, ModelGateConnectionError } from './errors.ts';
export { parseRetryAfter, type RetryPolicy } from './transport.ts';
export type * from './models.ts';
export type * from './wire.ts';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8000, or RunComfy's API base URL. */
  baseUrl: string;
  apiKey: string;
  /** Retries of 429/503 answers after their Retry-After (default: 3 retries, each wait ≤ 30 s). */
  retry?: RetryPolicy;
  /** Another fetch implementation; default the global one. */
  fetch?: typeof fetch;
}

export interface SubmitOptions {
  /** Same key and same body within 24 h → the same request (ModelGate extension). */
  idempotencyKey?: string;
  /** Called when the request finishes (an https URL; ModelGate extension, RunComfy serverless style). */
  webhook?: string;
  signal?: AbortSignal;
}

export interface FollowOptions {
  /** Every status the server reports while waiting: queue position, progress, then completed/cancelled. */
  onQueueUpdate?: (status: StatusView) => void;
  /** Follow the server's event stream (default true); polling is the fallback when it is unavailable. */
  stream?: boolean;
  /** Between two polls (default 500 ms). */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export type RunOptions = FollowOptions & SubmitOptions;

export interface WaitOptions {
  /** Called on every poll, e.g. to show queue position or progress. */
  onStatus?: (status: StatusView) => void;
  intervalMs?: number;
  signal?: AbortSignal;
}

const finished = (status: StatusView) => status.status === 'completed' || status.status === 'cancelled';
const requestPath = (requestId: string, what: string) => `/v1/requests/${encodeURIComponent(requestId)}/${what}`;
/** Model ids have `/` segments, each escaped on its own. */
const modelPath = (modelId: string) => `/v1/models/${modelId.split('/').map(encodeURIComponent).join('/')}`;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
  });
}

export class ModelGateClient {
  private readonly http: Transport;

  constructor(options: ClientOptions) {
    this.http = new Transport(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Queues a job; answers at once with its request id. */
  submit<M extends string>(modelId: M, input: ModelInput<M>, options: SubmitOptions = {}): Promise<SubmitResponse> {
    const query = options.webhook ? `?webhook=${encodeURIComponent(options.webhook)}` : '';
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    return this.http.json('POST', `${modelPath(modelId)}${query}`, { body: input, headers, signal: options.signal });
  }

  status(requestId: string, options: { signal?: AbortSignal } = {}): Promise<StatusView> {
    return this.http.json('GET', requestPath(requestId, 'status'), options);
  }

  result(requestId: string, options: { signal?: AbortSignal } = {}): Promise<ResultView> {
    return this.http.json('GET', requestPath(requestId, 'result'), options);
  }

  /** Cancels a queued job; `outcome` is `not_cancellable` once it runs. */
  cancel(requestId: string, options: { signal?: AbortSignal } = {}): Promise<CancelResponse> {
    return this.http.json('POST', requestPath(requestId, 'cancel'), options);
  }

  /** Submits, waits (following the event stream, else polling) and returns the result, whatever its outcome. */
  async run<M extends string>(modelId: M, input: ModelInput<M>, options: RunOptions = {}): Promise<ResultView> {
    const { request_id } = await this.submit(modelId, input, options);
    return this.follow(request_id, options);
  }

  /** Waits for a submitted request to finish and returns its result (succeeded, failed or cancelled). */
  async follow(requestId: string, options: FollowOptions = {}): Promise<ResultView> {
    if (options.stream !== false) {
      const streamed = await this.followStream(requestId, options);
      if (streamed) return streamed;
    }
    return this.poll(requestId, options);
  }

  /**
   * The stream route is ModelGate's extension: RunComfy's API answers it 404, a proxy may buffer
   * or cut it. Any answer but an event stream that ends in a result gives undefined, and the
   * caller polls, which reports a real error (unknown id, bad key) through the standard routes.
   */
  private async followStream(requestId: string, options: FollowOptions): Promise<ResultView | undefined> {
    let response: Response;
    try {
      response = await this.http.send('GET', requestPath(requestId, 'stream'), { headers: { accept: 'text/event-stream' }, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return undefined;
    }
    if (!response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => {});
      return undefined;
    }
    try {
      for await (const { event, data } of readEvents(response.body)) {
        if (event === 'status') options.onQueueUpdate?.(JSON.parse(data) as StatusView);
        else if (event === 'result') return JSON.parse(data) as ResultView;
        else if (event === 'error') return undefined;
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
    }
    return undefined; // the stream ended early (a restart, a proxy timeout): polling picks up
  }

  private async poll(requestId: string, options: FollowOptions): Promise<ResultView> {
    const interval = options.pollIntervalMs ?? 500;
    for (;;) {
      const status = await this.status(requestId, options);
      options.onQueueUpdate?.(status);
      if (finished(status)) return this.result(requestId, options);
      await sleep(interval, options.signal);
    }
  }

  /** Polls until the request finishes or is cancelled, then returns its result (the CLI's loop). */
  wait(requestId: string, options: WaitOptions = {}): Promise<ResultView> {
    const follow: FollowOptions = { stream: false };
    if (options.onStatus) follow.onQueueUpdate = options.onStatus;
    if (options.intervalMs !== undefined) follow.pollIntervalMs = options.intervalMs;
    if (options.signal) follow.signal = options.signal;
    return this.follow(requestId, follow);
  }

  /**
   * Uploads a file for use as a file input (POST /v1/files, a ModelGate extension): a path in
   * Node, a Blob or File anywhere. Returns its `url`, to be given as the input's value.
   */
  async upload(fileOrPath: string | Blob, options: { filename?: string; signal?: AbortSignal } = {}): Promise<UploadResponse> {
    const { blob, filename } = await toNamedBlob(fileOrPath, options.filename);
    const form = new FormData();
    form.append('file', blob, filename);
    return this.http.json('POST', '/v1/files', { body: form, signal: options.signal });
  }

  listModels(): Promise<{ models: ModelSummary[]; total: number }> {
    return this.http.json('GET', '/v1/models');
  }

  getModel(modelId: string): Promise<ModelDetail> {
    return this.http.json('GET', modelPath(modelId));
  }

  /** Saves an output URL to a file (Node only). Output URLs need no key. */
  async download(url: string, path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const response = await fetch(url, { signal: options.signal ?? null });
    if (!response.ok || !response.body) throw new ApiError(response.status, undefined, { statusText: `download of ${url} failed` });
    await saveBody(response.body, path);
  }
}
