/**
 * The HTTP side of ComfyUI's protocol for one server (research: selfhosted-anchors §3): queue a
 * prompt, read /history and /queue, fetch /view files, upload inputs, interrupt or dequeue, and
 * the health probes. A server that cannot be reached, times out or answers 5xx raises
 * ServerUnreachable, so callers can tell "this server is in trouble" from "this prompt is wrong".
 */
import { createWriteStream, openAsBlob } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ComfyGraph } from './workflow.ts';

export class ServerUnreachable extends Error {
  constructor(
    readonly server: string,
    message: string,
  ) {
    super(`ComfyUI server ${server}: ${message}`);
    this.name = 'ServerUnreachable';
  }
}

/** ComfyUI's 400 answer to /prompt: the prompt does not validate (§3.1). */
export class PromptRejected extends Error {
  constructor(
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'PromptRejected';
  }
}

export interface OutputFile {
  filename: string;
  subfolder: string;
  type: string;
}

export interface HistoryEntry {
  outputs: Record<string, Record<string, unknown>>;
  status?: { status_str?: string; completed?: boolean; messages?: Array<[string, Record<string, unknown>]> };
}

type QueueItem = [number, string, ...unknown[]];

export interface NodeErrors {
  [nodeId: string]: { errors?: Array<{ type?: string; message?: string; details?: string }>; class_type?: string };
}

/** One line per failing node: `node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: …`. */
export function describeNodeErrors(nodeErrors: NodeErrors | undefined): string[] {
  return Object.entries(nodeErrors ?? {}).flatMap(([id, node]) =>
    (node.errors ?? []).map((e) => `node ${id} (${node.class_type ?? '?'}): ${e.message ?? e.type ?? 'invalid'}${e.details ? `: ${e.details}` : ''}`));
}

export class ComfyHttp {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  private async request(path: string, init: RequestInit & { signal?: AbortSignal } = {}): Promise<Response> {
    const signals = [AbortSignal.timeout(this.timeoutMs), ...(init.signal ? [init.signal] : [])];
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ServerUnreachable(this.baseUrl, `${init.method ?? 'GET'} ${path.split('?')[0]} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    if (response.status >= 500) {
      const text = await response.text().catch(() => '');
      throw new ServerUnreachable(this.baseUrl, `${init.method ?? 'GET'} ${path.split('?')[0]} answered ${response.status} ${text.slice(0, 200)}`);
    }
    return response;
  }

  private async json<T>(path: string, init: RequestInit & { signal?: AbortSignal } = {}): Promise<T> {
    const response = await this.request(path, init);
    if (!response.ok) throw new ServerUnreachable(this.baseUrl, `${path.split('?')[0]} answered ${response.status}`);
    return (await response.json()) as T;
  }

  private post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  }

  /** Queues with our client_id (so websocket events reach us) and our own prompt_id (§3.1). */
  async queuePrompt(prompt: ComfyGraph, promptId: string, clientId: string, signal?: AbortSignal): Promise<{ nodeErrors: NodeErrors }> {
    const response = await this.post('/prompt', { prompt, client_id: clientId, prompt_id: promptId }, signal);
    const body = (await response.json().catch(() => undefined)) as { error?: { type?: string; message?: string; details?: string } | string; node_errors?: NodeErrors } | undefined;
    if (response.status === 400 || !response.ok) {
      const error = typeof body?.error === 'string' ? { message: body.error } : body?.error;
      const lines = [
        `${error?.message ?? `ComfyUI refused the prompt (HTTP ${response.status})`}${error?.type ? ` [${error.type}]` : ''}`,
        ...(error?.details && !body?.node_errors ? [error.details] : []),
        ...describeNodeErrors(body?.node_errors),
      ];
      throw new PromptRejected(lines.join('; '), body);
    }
    return { nodeErrors: body?.node_errors ?? {} };
  }

  /** The history entry, or undefined while the prompt is queued, running, unknown or deleted (§3.2). */
  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const body = await this.json<Record<string, HistoryEntry>>(`/history/${encodeURIComponent(promptId)}`, signal ? { signal } : {});
    return body[promptId];
  }

  /** Where the prompt is in the queue, if it is there at all (§3.6). */
  async queueState(promptId: string, signal?: AbortSignal): Promise<'running' | 'pending' | undefined> {
    const body = await this.json<{ queue_running?: QueueItem[]; queue_pending?: QueueItem[] }>('/queue', signal ? { signal } : {});
    if (body.queue_running?.some((item) => item[1] === promptId)) return 'running';
    if (body.queue_pending?.some((item) => item[1] === promptId)) return 'pending';
    return undefined;
  }

  /** Pending + running prompts, from every client of the server. GET /prompt answers the same count as /queue without the graphs. */
  async queueRemaining(signal?: AbortSignal): Promise<number> {
    const body = await this.json<{ exec_info?: { queue_remaining?: number } }>('/prompt', signal ? { signal } : {});
    return body.exec_info?.queue_remaining ?? 0;
  }

  async systemStats(signal?: AbortSignal): Promise<unknown> {
    return this.json('/system_stats', signal ? { signal } : {});
  }

  /** Interrupts the prompt only if it is the one running (targeted interrupt, §3.5). */
  async interrupt(promptId: string): Promise<void> {
    await this.post('/interrupt', { prompt_id: promptId });
  }

  /** Removes a pending prompt; a running one is not affected (§3.6). */
  async dequeue(promptId: string): Promise<void> {
    await this.post('/queue', { delete: [promptId] });
  }

  /** Uploads a file into the server's input folder under `name`; returns what LoadImage takes (§3.4). */
  async upload(path: string, name: string, contentType: string, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    form.set('image', await openAsBlob(path, { type: contentType }), name);
    form.set('type', 'input');
    form.set('overwrite', 'true');
    const response = await this.request('/upload/image', { method: 'POST', body: form, ...(signal ? { signal } : {}) });
    if (!response.ok) throw new PromptRejected(`ComfyUI refused the upload of ${name} (HTTP ${response.status}): ${(await response.text()).slice(0, 300)}`, undefined);
    const body = (await response.json()) as { name: string; subfolder?: string };
    return body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
  }

  /** Streams one output file into `destination` (§3.3). */
  async download(file: OutputFile, destination: string, signal?: AbortSignal): Promise<void> {
    const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
    // Large videos take longer than one API call: the job's own deadline bounds this one.
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/view?${query}`, signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ServerUnreachable(this.baseUrl, `GET /view failed: ${(error as Error).message}`);
    }
    if (!response.ok || !response.body) throw new ServerUnreachable(this.baseUrl, `GET /view ${file.filename} answered ${response.status}`);
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(destination));
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new ServerUnreachable(this.baseUrl, `GET /view ${file.filename} broke off: ${(error as Error).message}`);
    }
  }
}
