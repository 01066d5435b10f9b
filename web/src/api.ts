/**
 * The console's one way to the API: same-origin fetch with the key in the Authorization header
 * (never in a URL or a cookie). A non-2xx answer becomes an ApiFailure carrying the server's error
 * envelope, so the page shows the server's own words.
 */
import type { FileInputs } from './schema-form.ts';

/** The status route's answer (SPEC §2, src/jobs/job-views.ts). */
export interface StatusView {
  request_id: string;
  status: 'in_queue' | 'in_progress' | 'completed' | 'cancelled';
  queue_position?: number;
  progress?: number;
}

/** The result route's answer (SPEC §2, src/jobs/job-views.ts). */
export interface ResultView {
  request_id: string;
  status: 'in_queue' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';
  output?: { image?: string; video?: string; images?: string[]; videos?: string[] };
  error?: { type: string; message: string };
  created_at: string;
  finished_at?: string;
  metrics?: { queue_seconds?: number; run_seconds?: number };
  /** `?include_input=true`: the input the request runs with, as stored at submit. */
  input?: Record<string, unknown>;
}

export interface ModelSummary {
  model_id: string;
  display_name: string;
  categories: string[];
  description?: string;
  engine_available?: boolean;
}

export interface ModelDetail extends ModelSummary {
  input_schema: { [keyword: string]: unknown };
  /** The inputs that take a file (a URL, a data: URI or an upload), by field. */
  file_inputs: FileInputs;
  output_schema: { [keyword: string]: unknown };
}

export interface Upload {
  file_id: string;
  url: string;
  content_type: string;
  size: number;
}

export interface SubmitAnswer {
  request_id: string;
  status_url: string;
  result_url: string;
  cancel_url: string;
}

/** One row of GET /v1/requests. */
export interface HistoryItem {
  request_id: string;
  model_id: string;
  status: ResultView['status'];
  created_at: string;
  finished_at?: string;
  output?: ResultView['output'];
  error?: ResultView['error'];
}

export interface HistoryPage {
  requests: HistoryItem[];
  next_cursor: string | null;
}

export interface ErrorDetail {
  loc: unknown[];
  msg: string;
  type?: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
    readonly detail: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export class Api {
  /** `onRefused`: the key stopped working mid-session (revoked, or the data folder was reset). */
  constructor(
    private readonly key: string,
    private readonly onRefused?: (failure: ApiFailure) => void,
  ) {}

  /** A request with the key; `body` is sent as JSON unless it is FormData. */
  async raw(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: payload ?? null, signal: signal ?? null, cache: 'no-store' });
    if (!response.ok) {
      const failure = await failureOf(response);
      if (failure.status === 401) this.onRefused?.(failure);
      throw failure;
    }
    return response;
  }

  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return (await (await this.raw(method, path, body, signal)).json()) as T;
  }

  /** The whole catalog, a page (the server's largest) at a time. */
  async models(): Promise<{ models: ModelSummary[]; total: number }> {
    const models: ModelSummary[] = [];
    for (;;) {
      const page = await this.json<{ models: ModelSummary[]; total: number }>('GET', `/v1/models?offset=${models.length}`);
      models.push(...page.models);
      if (page.models.length === 0 || models.length >= page.total) return { models, total: page.total };
    }
  }

  model(id: string): Promise<ModelDetail> {
    return this.json('GET', `/v1/models/${id.split('/').map(encodeURIComponent).join('/')}`);
  }

  upload(file: File): Promise<Upload> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.json('POST', '/v1/files', form);
  }

  status(id: string): Promise<StatusView> {
    return this.json('GET', `/v1/requests/${encodeURIComponent(id)}/status`);
  }

  result(id: string, options: { includeInput?: boolean } = {}): Promise<ResultView> {
    return this.json('GET', `/v1/requests/${encodeURIComponent(id)}/result${options.includeInput ? '?include_input=true' : ''}`);
  }

  cancel(id: string): Promise<{ request_id: string; status: StatusView['status']; outcome: 'cancelled' | 'not_cancellable' }> {
    return this.json('POST', `/v1/requests/${encodeURIComponent(id)}/cancel`);
  }

  history(query: Record<string, string>): Promise<HistoryPage> {
    const params = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== ''));
    return this.json('GET', `/v1/requests?${params}`);
  }
}

async function failureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text().catch(() => '');
  try {
    const envelope = JSON.parse(text) as { error_code?: number; error_message?: string; detail?: ErrorDetail[] };
    if (typeof envelope.error_message === 'string') return new ApiFailure(response.status, envelope.error_code, envelope.error_message, envelope.detail ?? []);
  } catch {
    // Not an envelope (a proxy's page, say): fall through to the status line.
  }
  return new ApiFailure(response.status, undefined, `HTTP ${response.status} ${response.statusText}`.trim());
}

/** A message for anything thrown while talking to the API. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof Error) return `The server could not be reached: ${error.message}`;
  return String(error);
}
