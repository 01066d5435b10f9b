/**
 * A typed client for the RunComfy-compatible API (ModelGate or RunComfy itself). The CLI's `run`
 * command is built on it, and it is exported as `modelgate/client`.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ErrorEnvelope } from '../errors.ts';
import type { CancelResponse, SubmitResponse } from '../jobs/job-service.ts';
import type { ResultView, StatusView } from '../jobs/job-views.ts';

export type { CancelResponse, ResultView, StatusView, SubmitResponse };

export class ModelGateApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: ErrorEnvelope | undefined,
  ) {
    super(body?.error_message ?? `HTTP ${httpStatus}`);
    this.name = 'ModelGateApiError';
  }

  get code(): number | undefined {
    return this.body?.error_code;
  }
}

/** OpenSSL's codes for a certificate chain that ends in no CA this process trusts. */
const UNTRUSTED_CERTIFICATE = /SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/;

/** The server could not be reached at all (refused, unresolvable, reset, or its certificate not trusted). */
export class ModelGateConnectionError extends Error {
  constructor(url: string, cause: unknown) {
    // fetch wraps the network error: TypeError('fetch failed') whose cause says what happened.
    const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
    const code = inner?.code ?? inner?.message ?? (cause as Error)?.message ?? String(cause);
    // Verification is never switched off for the caller; say how to trust a private CA instead.
    const hint =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'the server\'s TLS certificate does not name that host; use a host name on the certificate in --url / MODELGATE_URL'
        : UNTRUSTED_CERTIFICATE.test(code)
          ? 'the server\'s TLS certificate is not signed by a CA trusted here; for a private CA or a self-signed certificate, set NODE_EXTRA_CA_CERTS=/path/to/ca.pem'
          : 'is the server running, and is --url / MODELGATE_URL right?';
    super(`cannot reach ${url} (${code}); ${hint}`);
    this.name = 'ModelGateConnectionError';
  }
}

export interface ModelSummary {
  model_id: string;
  display_name: string;
  categories: string[];
  description?: string;
}

export interface ModelDetail extends ModelSummary {
  input_schema: { properties?: Record<string, { type?: string }>; required?: string[] };
  output_schema: unknown;
}

export interface WaitOptions {
  /** Called on every poll, e.g. to show queue position or progress. */
  onStatus?: (status: StatusView) => void;
  intervalMs?: number;
  signal?: AbortSignal;
}

export class ModelGateClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;

  constructor(options: { baseUrl: string; apiKey: string }) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (error) {
      throw new ModelGateConnectionError(this.baseUrl, error);
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) throw new ModelGateApiError(response.status, parsed as ErrorEnvelope | undefined);
    return parsed as T;
  }

  listModels(): Promise<{ models: ModelSummary[]; total: number }> {
    return this.call('GET', '/v1/models');
  }

  getModel(modelId: string): Promise<ModelDetail> {
    return this.call('GET', `/v1/models/${modelId}`);
  }

  submit(modelId: string, input: Record<string, unknown>): Promise<SubmitResponse> {
    return this.call('POST', `/v1/models/${modelId}`, input);
  }

  status(requestId: string): Promise<StatusView> {
    return this.call('GET', `/v1/requests/${encodeURIComponent(requestId)}/status`);
  }

  result(requestId: string): Promise<ResultView> {
    return this.call('GET', `/v1/requests/${encodeURIComponent(requestId)}/result`);
  }

  cancel(requestId: string): Promise<CancelResponse> {
    return this.call('POST', `/v1/requests/${encodeURIComponent(requestId)}/cancel`);
  }

  /** Polls until the request finishes or is cancelled, then returns its result. */
  async wait(requestId: string, options: WaitOptions = {}): Promise<ResultView> {
    const interval = options.intervalMs ?? 500;
    for (;;) {
      options.signal?.throwIfAborted();
      const status = await this.status(requestId);
      options.onStatus?.(status);
      if (status.status === 'completed' || status.status === 'cancelled') return this.result(requestId);
      await new Promise<void>((resolve) => setTimeout(resolve, interval));
    }
  }

  /** Downloads an output URL to a file. */
  async download(url: string, path: string): Promise<void> {
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`download of ${url} failed: HTTP ${response.status}`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(path));
  }
}
