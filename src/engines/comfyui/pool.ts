/**
 * The servers of one comfyui engine and the dispatch rule: the healthy server with the least
 * load (our prompts in flight there, or the queue depth it reports, whichever is larger), ties
 * going round-robin so equal servers share the work. Health checks start with the first job, so
 * a process that never runs one (an API-only server) never connects to ComfyUI.
 */
import type { Logger } from 'pino';
import { RetryableEngineError } from '../engine.ts';
import { ComfyServer, type ServerTimings } from './server.ts';

/** How long the first job waits for the first health check of every server. */
const FIRST_ROUND_WAIT_MS = 2_000;

export class ServerPool {
  readonly servers: ComfyServer[];
  private firstRound: Promise<void> | undefined;
  private turn = 0;

  constructor(urls: string[], timings: ServerTimings, log: Logger) {
    this.servers = urls.map((url) => new ComfyServer(url, timings, log));
  }

  /** Starts health checks and websockets once; resolves when every server has been checked once. */
  start(): Promise<void> {
    this.firstRound ??= Promise.all(this.servers.map((server) => server.start())).then(() => undefined);
    return this.firstRound;
  }

  /** The least-loaded healthy server not in `skip`, or undefined. */
  choose(skip: ReadonlySet<ComfyServer>): ComfyServer | undefined {
    const candidates = this.servers.filter((server) => server.healthy && !skip.has(server));
    if (candidates.length === 0) return undefined;
    const least = Math.min(...candidates.map((server) => server.load));
    const tied = candidates.filter((server) => server.load === least);
    return tied[this.turn++ % tied.length];
  }

  /**
   * Waits up to `waitMs` for a healthy server (health checks keep running meanwhile); past that
   * the attempt is given back to the queue: the job is fine, the servers are not.
   */
  async pick(skip: ReadonlySet<ComfyServer>, waitMs: number, signal: AbortSignal): Promise<ComfyServer> {
    // Least-loaded needs to know who is up: wait for the first round of checks, but not for
    // long, since a blackholed server answers only at request_timeout_ms.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.start(), new Promise((resolve) => { timer = setTimeout(resolve, FIRST_ROUND_WAIT_MS); })]);
    clearTimeout(timer);
    const deadline = Date.now() + waitMs;
    for (;;) {
      signal.throwIfAborted();
      const server = this.choose(skip);
      if (server) return server;
      const left = deadline - Date.now();
      if (left <= 0) {
        const problems = this.servers.map((s) => `${s.baseUrl}: ${skip.has(s) ? 'failed this job' : s.lastProblem || 'not checked yet'}`);
        throw new RetryableEngineError('comfyui_unavailable', `No ComfyUI server could take the job (${problems.join('; ')})`);
      }
      const waits = this.servers.filter((s) => !skip.has(s)).map((s) => s.onceHealthy());
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      try {
        await Promise.race([
          ...waits.map((w) => w.promise),
          new Promise<void>((resolve) => { timer = setTimeout(resolve, left); }),
          new Promise<void>((resolve) => { onAbort = resolve; signal.addEventListener('abort', onAbort, { once: true }); }),
        ]);
      } finally {
        clearTimeout(timer);
        if (onAbort) signal.removeEventListener('abort', onAbort);
        for (const w of waits) w.cancel();
      }
    }
  }

  close(): void {
    for (const server of this.servers) server.close();
  }
}
