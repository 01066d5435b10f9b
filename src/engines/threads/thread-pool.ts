/**
 * The one set of worker threads every engine shares: reframe's PatchMatch bands and
 * image-to-video's frames both run here, so a process never holds more engine threads than its
 * largest need, and only the first job pays their start.
 *
 * A job opens a session: each of the session's threads loads a task module (thread-protocol.ts)
 * and builds the session's state from the open payload (usually shared memory). Calls name the
 * thread they go to, so a caller can spread work deterministically (band i → thread i mod n).
 * Closing a session (done, or the job aborted) rejects its unanswered calls at once; a thread
 * finishes the call it is on and drops the answer. Threads keep the process alive only while a
 * session is open. A thread that dies fails every open session, and the next session starts a
 * fresh set.
 */
import { Worker } from 'node:worker_threads';
import type { FromThread, ToThread } from './thread-protocol.ts';

interface PendingCall {
  session: number;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export interface ThreadSession<Call, Result> {
  /** How many threads this session runs on; call thread indexes are taken modulo it. */
  readonly threads: number;
  call(thread: number, payload: Call): Promise<Result>;
  /** Sends the same payload to every thread of the session, e.g. a new buffer to work on. */
  broadcast(payload: Call): Promise<Result[]>;
  /** Ends the session; unanswered calls reject with `reason`. */
  close(reason?: Error): void;
}

class ThreadPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, PendingCall>();
  private openSessions = 0;
  private nextSession = 1;
  private nextCall = 1;
  broken: Error | undefined;

  /** Starts threads until there are at least `count`. */
  private grow(count: number): void {
    while (this.workers.length < count) {
      const worker = new Worker(new URL('./thread-boot.mjs', import.meta.url));
      if (this.openSessions === 0) worker.unref();
      worker.on('message', (reply: FromThread) => this.answer(reply));
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`an engine thread exited (code ${code})`)));
      this.workers.push(worker);
    }
  }

  private answer(reply: FromThread): void {
    const call = this.pending.get(reply.id);
    if (!call) return; // its session was closed meanwhile
    this.pending.delete(reply.id);
    if ('error' in reply) call.reject(new Error(`engine thread: ${reply.error}`));
    else call.resolve(reply.result);
  }

  private fail(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    if (shared === this) shared = undefined;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    for (const worker of this.workers) void worker.terminate();
  }

  private hold(delta: 1 | -1): void {
    this.openSessions += delta;
    for (const worker of this.workers) {
      if (this.openSessions > 0) worker.ref();
      else worker.unref();
    }
  }

  open<Call, Result>(module: URL, threads: number, payload: unknown): ThreadSession<Call, Result> {
    this.grow(threads);
    const session = this.nextSession++;
    const used = this.workers.slice(0, threads);
    for (const worker of used) worker.postMessage({ type: 'open', session, module: module.href, payload } satisfies ToThread);
    this.hold(1);
    let closed: Error | undefined;
    const call = (thread: number, callPayload: Call): Promise<Result> =>
      new Promise<Result>((resolve, reject) => {
        if (closed ?? this.broken) return reject(closed ?? this.broken);
        const id = this.nextCall++;
        this.pending.set(id, { session, resolve: resolve as (result: unknown) => void, reject });
        used[thread % threads]!.postMessage({ type: 'call', session, id, payload: callPayload } satisfies ToThread);
      });
    return {
      threads,
      call,
      broadcast: (callPayload) => Promise.all(used.map((_, thread) => call(thread, callPayload))),
      close: (reason = new Error('the engine thread session was closed')) => {
        if (closed) return;
        closed = reason;
        for (const [id, pending] of this.pending) {
          if (pending.session !== session) continue;
          this.pending.delete(id);
          pending.reject(reason);
        }
        if (!this.broken) for (const worker of used) worker.postMessage({ type: 'close', session } satisfies ToThread);
        this.hold(-1);
      },
    };
  }
}

let shared: ThreadPool | undefined;

/**
 * The URL of a task module beside the caller, given without extension: `.ts` when the caller
 * itself runs from the TypeScript sources (tsx), `.js` when it runs from the build in dist/.
 * A literal `new URL('./x.ts', import.meta.url)` would point at a file dist/ does not have.
 */
export function siblingModule(name: string, callerUrl: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/**
 * Opens a session of `threads` threads of the process's pool on the task `module` (a file URL of
 * a module exporting open/call), each thread building its state from `payload`.
 */
export function openThreadSession<Call, Result>(module: URL, threads: number, payload: unknown): ThreadSession<Call, Result> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`an engine thread session needs at least one thread, not ${threads}`);
  shared ??= new ThreadPool();
  return shared.open<Call, Result>(module, threads, payload);
}
