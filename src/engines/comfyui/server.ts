/**
 * One ComfyUI server as this process sees it: its health (/system_stats every health interval),
 * its load (our prompts in flight, and the queue depth it reports), and one websocket
 * (`/ws?clientId=<ours>`) whose messages are handed to whoever follows that prompt_id.
 *
 * The websocket client is undici's WebSocket, already a dependency (it is Node's own fetch
 * stack): a WHATWG WebSocket is all a client needs, and it sends no Origin header, which
 * ComfyUI's origin check would refuse. A dropped socket is reopened with the same clientId
 * (ComfyUI then routes our prompts' events to the new socket); followers are told, so they poll
 * /history meanwhile instead of losing the job.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WebSocket } from 'undici';
import { ComfyHttp } from './http.ts';

export interface ComfyMessage {
  type: string;
  data: Record<string, unknown>;
}

export interface PromptListener {
  message(message: ComfyMessage): void;
  /** The websocket closed or opened again: followers change how often they poll. */
  connection(connected: boolean): void;
}

export interface ServerTimings {
  requestTimeoutMs: number;
  healthIntervalMs: number;
  pollIntervalMs: number;
}

export class ComfyServer {
  readonly http: ComfyHttp;
  readonly clientId = randomUUID();
  /** Our prompts on this server now (dispatched, not yet settled). */
  inFlight = 0;
  /** Pending + running prompts of every client, as last reported. */
  queueRemaining = 0;
  healthy: boolean | undefined;
  lastProblem = '';
  connected = false;
  private socket: WebSocket | undefined;
  private readonly listeners = new Map<string, PromptListener>();
  private healthTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  private closed = false;
  private readonly healthWaiters = new Set<() => void>();

  constructor(
    readonly baseUrl: string,
    private readonly timings: ServerTimings,
    private readonly log: Logger,
  ) {
    this.http = new ComfyHttp(baseUrl, timings.requestTimeoutMs);
    this.reconnectDelay = timings.pollIntervalMs;
  }

  /** Dispatch weight: the larger of what we sent and what the server says it holds (it includes ours, but lags). */
  get load(): number {
    return Math.max(this.inFlight, this.queueRemaining);
  }

  start(): Promise<void> {
    this.connect();
    const first = this.checkHealth();
    const loop = () => {
      this.healthTimer = setTimeout(() => void this.checkHealth().finally(() => { if (!this.closed) loop(); }), this.timings.healthIntervalMs);
      this.healthTimer.unref();
    };
    loop();
    return first;
  }

  async checkHealth(): Promise<void> {
    try {
      await this.http.systemStats();
      this.queueRemaining = await this.http.queueRemaining();
      this.markHealthy();
    } catch (error) {
      this.markUnhealthy((error as Error).message);
    }
  }

  markHealthy(): void {
    if (this.healthy !== true) this.log.info({ server: this.baseUrl }, 'ComfyUI server is healthy');
    this.healthy = true;
    this.lastProblem = '';
    for (const wake of this.healthWaiters) wake();
    if (!this.connected && !this.socket) this.connect();
  }

  markUnhealthy(problem: string): void {
    if (this.healthy !== false) this.log.warn({ server: this.baseUrl, problem }, 'ComfyUI server is unhealthy');
    this.healthy = false;
    this.lastProblem = problem;
  }

  /** Resolves the next time the server is found healthy. */
  onceHealthy(): { promise: Promise<void>; cancel(): void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => { wake = resolve; });
    const waiter = () => { this.healthWaiters.delete(waiter); wake(); };
    this.healthWaiters.add(waiter);
    return { promise, cancel: () => this.healthWaiters.delete(waiter) };
  }

  /** Routes this prompt's websocket messages to `listener` until the returned function is called. */
  follow(promptId: string, listener: PromptListener): () => void {
    this.listeners.set(promptId, listener);
    return () => this.listeners.delete(promptId);
  }

  private connect(): void {
    if (this.closed || this.socket) return;
    // Appended, not resolved: a server behind a path prefix (https://gpu.lan/comfy) keeps it.
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/ws?clientId=${this.clientId}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.connected = true;
      this.reconnectDelay = this.timings.pollIntervalMs;
      this.log.debug({ server: this.baseUrl }, 'ComfyUI websocket open');
      for (const listener of this.listeners.values()) listener.connection(true);
    });
    socket.addEventListener('message', (event) => this.onMessage(event.data));
    // 'error' is always followed by 'close'; the reconnect happens there.
    socket.addEventListener('error', () => undefined);
    socket.addEventListener('close', () => {
      const wasConnected = this.connected;
      this.connected = false;
      this.socket = undefined;
      if (wasConnected) {
        this.log.warn({ server: this.baseUrl }, 'ComfyUI websocket closed; reconnecting, following prompts by /history meanwhile');
        for (const listener of this.listeners.values()) listener.connection(false);
      }
      if (this.closed) return;
      this.reconnectTimer = setTimeout(() => this.connect(), this.reconnectDelay);
      this.reconnectTimer.unref();
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, 10_000);
    });
  }

  private onMessage(data: unknown): void {
    // Binary frames are preview images (§3.8); we only read the JSON events.
    if (typeof data !== 'string') return;
    let message: ComfyMessage;
    try {
      message = JSON.parse(data) as ComfyMessage;
    } catch {
      return;
    }
    if (!message || typeof message.type !== 'string' || !message.data || typeof message.data !== 'object') return;
    if (message.type === 'status') {
      const remaining = (message.data.status as { exec_info?: { queue_remaining?: unknown } } | undefined)?.exec_info?.queue_remaining;
      if (typeof remaining === 'number') this.queueRemaining = remaining;
      return;
    }
    const promptId = message.data.prompt_id;
    if (typeof promptId === 'string') this.listeners.get(promptId)?.message(message);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.healthTimer);
    clearTimeout(this.reconnectTimer);
    this.socket?.close();
    this.socket = undefined;
    for (const wake of this.healthWaiters) wake();
  }
}
