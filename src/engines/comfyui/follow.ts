/**
 * Follows one queued prompt to its end, as ComfyUI really behaves (research §3.8-§3.9):
 * websocket `progress` → job progress; `execution_error` → the node's message; an interrupt;
 * `executing` with `node: null` → done, and only then is /history read (it is written after
 * `execution_success`, so it lags; it is retried briefly). /history and /queue are also polled:
 * often while the websocket is down (so a dropped socket loses nothing), rarely while it is up
 * (in case a message was missed). A server that stops answering for `serverLostMs`, or that
 * answers but knows nothing of the prompt any more (it restarted), raises RetryableEngineError:
 * the job goes back to the queue for another server.
 */
import { EngineError, RetryableEngineError } from '../engine.ts';
import { ServerUnreachable, type HistoryEntry } from './http.ts';
import type { ComfyMessage, ComfyServer } from './server.ts';

export interface FollowOptions {
  signal: AbortSignal;
  /** Resolves once /prompt accepted the prompt: before that, an empty /queue means nothing. */
  queued: Promise<void>;
  pollIntervalMs: number;
  reconcileIntervalMs: number;
  serverLostMs: number;
  /** How many nodes the graph has, to turn node-by-node events into one fraction. */
  nodeCount: number;
  progress(fraction: number): void;
  /** Called once the prompt is known to be running (so a cancel interrupts instead of dequeuing). */
  started(): void;
}

const HISTORY_LAG_TRIES = 50;
const HISTORY_LAG_DELAY_MS = 100;

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(done, ms);
  function done() {
    clearTimeout(timer);
    signal.removeEventListener('abort', done);
    resolve();
  }
  signal.addEventListener('abort', done, { once: true });
});

/** The error a failed history entry stands for (§3.2: error and interrupt both say "error"). */
export function historyFailure(server: string, entry: HistoryEntry): EngineError {
  const messages = entry.status?.messages ?? [];
  const error = messages.find(([type]) => type === 'execution_error')?.[1];
  if (error) return executionError(error);
  if (messages.some(([type]) => type === 'execution_interrupted')) {
    return new EngineError('comfyui_interrupted', `The prompt was interrupted on the ComfyUI server ${server} (an /interrupt from outside ModelGate)`);
  }
  return new EngineError('comfyui_execution_error', `ComfyUI reported the prompt as failed (${entry.status?.status_str ?? 'no status'}) without an error message`);
}

export function executionError(data: Record<string, unknown>): EngineError {
  const message = String(data.exception_message ?? 'no message').trim();
  const where = `node ${String(data.node_id ?? '?')} (${String(data.node_type ?? '?')})`;
  // A GPU out of memory is the server's state, not the job's: another server (or a later try) may run it.
  if (/out of memory|OutOfMemory/i.test(`${String(data.exception_type ?? '')} ${message}`)) {
    return new RetryableEngineError('comfyui_out_of_memory', `ComfyUI ran out of memory in ${where}: ${message}`);
  }
  return new EngineError('comfyui_execution_error', `ComfyUI failed in ${where}: ${String(data.exception_type ?? 'error')}: ${message}`);
}

export async function followPrompt(server: ComfyServer, promptId: string, options: FollowOptions): Promise<HistoryEntry> {
  const { signal } = options;
  let finished: ((outcome: { entry?: HistoryEntry; error?: unknown }) => void) | undefined;
  const outcome = new Promise<{ entry?: HistoryEntry; error?: unknown }>((resolve) => { finished = resolve; });
  const settle = (value: { entry?: HistoryEntry; error?: unknown }) => {
    finished?.(value);
    finished = undefined;
  };
  const fromHistory = (entry: HistoryEntry) => (entry.status?.status_str === 'error' ? { error: historyFailure(server.baseUrl, entry) } : { entry });
  // Wakes the poll loop early (websocket down, or done): it then polls at once.
  let wake = new AbortController();

  let executedNodes = 0;
  let best = 0;
  const report = (fraction: number) => {
    if (fraction > best) {
      best = fraction;
      options.progress(fraction);
    }
  };
  const nodes = Math.max(1, options.nodeCount);

  // When the server last showed signs of life to this follower (a message, or a poll answer).
  let lastContact = Date.now();
  const onMessage = ({ type, data }: ComfyMessage) => {
    lastContact = Date.now();
    switch (type) {
      case 'execution_start':
        options.started();
        break;
      case 'execution_cached':
        executedNodes += Array.isArray(data.nodes) ? data.nodes.length : 0;
        report(executedNodes / nodes);
        break;
      case 'executing':
        if (data.node === null) {
          // History is written before this message (§3.9): read it now.
          wake.abort();
          void readHistory().then((entry) => settle(fromHistory(entry)), (error: unknown) => settle({ error }));
        } else {
          options.started();
          executedNodes += 1;
          report((executedNodes - 1) / nodes);
        }
        break;
      case 'progress': {
        const value = Number(data.value);
        const max = Number(data.max);
        if (max > 0 && Number.isFinite(value)) report((Math.max(0, executedNodes - 1) + Math.min(1, value / max)) / nodes);
        break;
      }
      case 'execution_error':
        settle({ error: executionError(data) });
        break;
      case 'execution_interrupted':
        settle({ error: signal.aborted ? signal.reason : new EngineError('comfyui_interrupted', `The prompt was interrupted on the ComfyUI server ${server.baseUrl} (an /interrupt from outside ModelGate)`) });
        break;
    }
  };

  const readHistory = async (): Promise<HistoryEntry> => {
    for (let attempt = 0; attempt < HISTORY_LAG_TRIES; attempt++) {
      const entry = await server.http.history(promptId, signal);
      if (entry) return entry;
      await sleep(HISTORY_LAG_DELAY_MS, signal);
      signal.throwIfAborted();
    }
    throw new RetryableEngineError('comfyui_server_lost', `ComfyUI server ${server.baseUrl} said prompt ${promptId} was done but has no history for it`);
  };

  const unfollow = server.follow(promptId, {
    message: onMessage,
    connection: () => wake.abort(),
  });
  const onAbort = () => settle({ error: signal.reason });
  signal.addEventListener('abort', onAbort, { once: true });

  // The poll loop: the server's answers are the truth; the websocket is the fast path. `stop`
  // ends its calls as soon as the prompt is settled, so a dead server cannot hold us up.
  const stop = new AbortController();
  const calls = AbortSignal.any([signal, stop.signal]);
  const poll = async () => {
    await Promise.race([options.queued, new Promise((resolve) => calls.addEventListener('abort', resolve, { once: true }))]);
    lastContact = Date.now();
    while (finished && !calls.aborted) {
      await sleep(server.connected ? options.reconcileIntervalMs : options.pollIntervalMs, AbortSignal.any([calls, wake.signal]));
      if (wake.signal.aborted) wake = new AbortController();
      if (!finished || calls.aborted) return;
      try {
        const entry = await server.http.history(promptId, calls);
        if (entry) {
          settle(fromHistory(entry));
          return;
        }
        const state = await server.http.queueState(promptId, calls);
        lastContact = Date.now();
        server.markHealthy();
        if (state === 'running') options.started();
        if (state) continue;
        // Not queued: it may have finished between the two reads; history decides.
        const late = await server.http.history(promptId, calls);
        if (late) {
          settle(fromHistory(late));
          return;
        }
        settle({ error: new RetryableEngineError('comfyui_server_lost', `ComfyUI server ${server.baseUrl} no longer knows prompt ${promptId} (it restarted, or the prompt was removed there)`) });
      } catch (error) {
        if (calls.aborted) return;
        if (!(error instanceof ServerUnreachable)) {
          settle({ error });
          return;
        }
        server.markUnhealthy(error.message);
        if (Date.now() - lastContact >= options.serverLostMs) {
          settle({ error: new RetryableEngineError('comfyui_server_lost', `ComfyUI server ${server.baseUrl} stopped answering while running prompt ${promptId} (${error.message})`) });
        }
      }
    }
  };
  const polling = poll();

  try {
    const result = await outcome;
    if (result.error !== undefined) throw result.error;
    return result.entry!;
  } finally {
    settle({});
    stop.abort();
    wake.abort();
    unfollow();
    signal.removeEventListener('abort', onAbort);
    await polling;
  }
}
