/**
 * `Prefer: wait=N` on a submit (RFC 7240): hold the answer until the job is finished or N
 * seconds pass, woken by the store's settle wake-ups (Store.onJobSettled), not by polling. Where
 * the store cannot wake across processes (SQLite with a worker in another process:
 * capabilities.crossProcessSettleWakeups), the job is also re-read every FALLBACK_POLL_MS.
 *
 * Holds are bounded per server (MODELGATE_MAX_WAITING_REQUESTS): past the bound a submit answers
 * at once, as if the preference had not been sent, which RFC 7240 allows. Every hold ends early
 * when the server starts draining (shutdown) or the client goes away; either way it answers
 * with the job as it is then.
 */
import { TERMINAL_STATES, type JobState, type Store } from '../store/store.ts';

/** The longest wait a client may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 60;
/** Re-reads where settles in other processes do not wake us. */
export const FALLBACK_POLL_MS = 1_000;

/**
 * The wait a Prefer header asks for, in whole seconds, or undefined when it asks for none we
 * honour: no `wait` preference, or one that is not an integer from 1 to 60 (ignored, as RFC 7240
 * says a server may ignore any preference; the answer then has no Preference-Applied).
 */
export function preferredWait(header: string | string[] | undefined): number | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const preference of value.split(',')) {
      const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*(?:;.*)?$/i.exec(preference);
      if (!match) continue;
      const seconds = Number(match[1]);
      return seconds >= 1 && seconds <= MAX_WAIT_SECONDS ? seconds : undefined;
    }
  }
  return undefined;
}

export interface HoldOptions {
  /** Ends the hold early: the client went away, or the server is shutting down. */
  signal?: AbortSignal | undefined;
}

export class SettleWaits {
  private holding = 0;

  constructor(
    private readonly store: Pick<Store, 'onJobSettled' | 'capabilities'>,
    private readonly maxHeld: number,
    private readonly fallbackPollMs = FALLBACK_POLL_MS,
  ) {}

  /** Requests held right now (for tests and logs). */
  get held(): number {
    return this.holding;
  }

  /** Takes one of the server's holds; false at the bound (the caller then answers at once). */
  tryHold(): boolean {
    if (this.holding >= this.maxHeld) return false;
    this.holding++;
    return true;
  }

  /**
   * With a hold taken by tryHold: resolves once `read()` answers a finished job, `ms` pass, or the
   * signal aborts, and gives the hold back. `read` is called first (a settle before the
   * subscription is not missed), on each wake-up, and once more when the wait ends unfinished,
   * so the answer is the job as it is then.
   */
  async hold<T extends { state: string }>(id: string, ms: number, read: () => Promise<T>, options: HoldOptions = {}): Promise<T> {
    try {
      return await new Promise<T>((resolve, reject) => {
        let done = false;
        let reading = false;
        let again = false;
        const stop = () => {
          done = true;
          off();
          clearTimeout(timeout);
          clearInterval(poll);
          options.signal?.removeEventListener('abort', end);
        };
        const fail = (error: unknown) => {
          if (done) return;
          stop();
          reject(error);
        };
        // The wait is over unfinished (time, shutdown, client gone): one last read.
        function end() {
          if (done) return;
          stop();
          read().then(resolve, reject);
        }
        const check = () => {
          if (done) return;
          if (reading) {
            again = true;
            return;
          }
          reading = true;
          read().then((job) => {
            reading = false;
            if (done) return;
            if (TERMINAL_STATES.has(job.state as JobState)) {
              stop();
              resolve(job);
            } else if (again) {
              again = false;
              check();
            }
          }, fail);
        };
        const off = this.store.onJobSettled(id, check);
        const timeout = setTimeout(end, ms);
        const poll = this.store.capabilities.crossProcessSettleWakeups ? undefined : setInterval(check, this.fallbackPollMs);
        if (options.signal?.aborted) return end();
        options.signal?.addEventListener('abort', end, { once: true });
        check();
      });
    } finally {
      this.holding--;
    }
  }
}

/**
 * An AbortSignal for one held request: aborted when its client goes away (the response closes
 * before it is sent) or the server starts draining. `release` detaches both listeners.
 */
export function holdSignal(response: NodeJS.EventEmitter, draining: AbortSignal | undefined): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  response.once('close', abort);
  draining?.addEventListener('abort', abort, { once: true });
  if (draining?.aborted) abort();
  return {
    signal: controller.signal,
    release() {
      response.off('close', abort);
      draining?.removeEventListener('abort', abort);
    },
  };
}
