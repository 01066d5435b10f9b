/**
 * Follows one request to its end: the SSE stream (GET /v1/requests/{id}/stream) read through
 * fetch, so the key travels in a header; if the stream cannot be opened or breaks off before
 * the result, the status route is polled instead, and the result fetched once it is final.
 */
import { type Api, ApiFailure, type ResultView, type StatusView } from './api.ts';
import { EventStreamParser } from './sse.ts';

export interface FollowHandlers {
  status(view: StatusView): void;
  result(view: ResultView): void;
  /** A failure that ends following (unknown id, key revoked); transient ones are retried. */
  failed(error: unknown): void;
}

const POLL_MS = 1000;

const isFinal = (view: StatusView) => view.status === 'completed' || view.status === 'cancelled';

async function readStream(api: Api, id: string, handlers: FollowHandlers, signal: AbortSignal): Promise<boolean> {
  const response = await api.raw('GET', `/v1/requests/${encodeURIComponent(id)}/stream`, undefined, signal);
  if (!response.body) return false;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new EventStreamParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    for (const event of parser.feed(value)) {
      if (event.event === 'status') handlers.status(JSON.parse(event.data) as StatusView);
      else if (event.event === 'result') {
        handlers.result(JSON.parse(event.data) as ResultView);
        await reader.cancel().catch(() => undefined);
        return true;
      } else if (event.event === 'error') return false;
    }
  }
}

async function poll(api: Api, id: string, handlers: FollowHandlers, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const view = await api.status(id);
      handlers.status(view);
      if (isFinal(view)) {
        handlers.result(await api.result(id));
        return;
      }
    } catch (error) {
      // A 4xx will not get better by asking again; a dropped connection may.
      if (error instanceof ApiFailure && error.status < 500 && error.status !== 429) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Starts following; abort the signal to stop (leaving the screen). */
export function followRequest(api: Api, id: string, handlers: FollowHandlers, signal: AbortSignal): void {
  void (async () => {
    try {
      let finished = false;
      try {
        finished = await readStream(api, id, handlers, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiFailure && error.status < 500 && error.status !== 429) throw error;
      }
      if (!finished && !signal.aborted) await poll(api, id, handlers, signal);
    } catch (error) {
      if (!signal.aborted) handlers.failed(error);
    }
  })();
}
