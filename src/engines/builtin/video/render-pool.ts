/**
 * Frame rendering off the event loop: a process-wide set of worker threads, started on first use,
 * renders frames in parallel; each job shares its working image with them once (shared memory)
 * and gets its frames back in order. With `threads: 0` frames are rendered inline: the same bytes,
 * since the renderer is integer arithmetic.
 */
import { Worker } from 'node:worker_threads';
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { frameRenderer } from './frame.ts';
import type { WorkerReply, WorkerRequest } from './render-worker.ts';

export interface FrameSource {
  /** Frame `index`; ask in order. A few frames ahead are rendered while the caller waits. */
  frame(index: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

interface Waiter {
  resolve(frame: Uint8Array): void;
  reject(error: Error): void;
}

class RenderThreads {
  readonly workers: Worker[];
  readonly waiting = new Map<string, Waiter>();
  private sessions = 0;
  broken?: Error;

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(new URL('./render-worker.mjs', import.meta.url));
      worker.unref();
      worker.on('message', (reply: WorkerReply) => {
        const key = `${reply.session}:${reply.index}`;
        const waiter = this.waiting.get(key);
        this.waiting.delete(key);
        if (reply.error !== undefined) waiter?.reject(new Error(`frame ${reply.index} failed to render: ${reply.error}`));
        else waiter?.resolve(reply.frame);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`a frame-rendering thread exited (code ${code})`)));
      return worker;
    });
  }

  fail(error: Error): void {
    this.broken ??= error;
    if (pools.get(this.workers.length) === this) pools.delete(this.workers.length);
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    for (const worker of this.workers) void worker.terminate();
  }

  /** Workers keep the process alive only while a job uses them. */
  hold(delta: 1 | -1): void {
    this.sessions += delta;
    for (const worker of this.workers) {
      if (this.sessions > 0) worker.ref();
      else worker.unref();
    }
  }
}

/** Render threads by thread count (one set in practice: the engine always asks for the same). */
const pools = new Map<number, RenderThreads>();
let sessionCounter = 0;

function sharedPlane(plane: YuvImage['y']): YuvImage['y'] {
  const data = new Uint8Array(new SharedArrayBuffer(plane.data.length));
  data.set(plane.data);
  return { data, width: plane.width, height: plane.height };
}

function inline(base: YuvImage, windows: Rect[], width: number, height: number): FrameSource {
  const render = frameRenderer(base, width, height);
  return {
    async frame(index) {
      return render(windows[index]!);
    },
    async close() {},
  };
}

export function createFrameSource(base: YuvImage, windows: Rect[], width: number, height: number, count: number): FrameSource {
  if (count <= 0) return inline(base, windows, width, height);
  let pool = pools.get(count);
  if (!pool) pools.set(count, (pool = new RenderThreads(count)));
  const session = ++sessionCounter;
  const open: WorkerRequest = { type: 'open', session, base: { y: sharedPlane(base.y), u: sharedPlane(base.u), v: sharedPlane(base.v) }, width, height };
  for (const worker of pool.workers) worker.postMessage(open);
  pool.hold(1);

  const requested = new Map<number, Promise<Uint8Array>>();
  const lookahead = count * 2;
  let next = 0;
  let closed = false;
  const request = (index: number) => {
    const promise = new Promise<Uint8Array>((resolve, reject) => {
      if (pool.broken) return reject(pool.broken);
      pool.waiting.set(`${session}:${index}`, { resolve, reject });
      pool.workers[index % count]!.postMessage({ type: 'render', session, index, window: windows[index]! } satisfies WorkerRequest);
    });
    promise.catch(() => {});
    requested.set(index, promise);
  };

  return {
    frame(index) {
      while (next < windows.length && next <= index + lookahead) request(next++);
      const promise = requested.get(index);
      requested.delete(index);
      return promise ?? Promise.reject(new Error(`frame ${index} was not asked for in order`));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const key of [...pool.waiting.keys()]) {
        if (key.startsWith(`${session}:`)) {
          pool.waiting.get(key)!.reject(new Error('the job stopped'));
          pool.waiting.delete(key);
        }
      }
      if (!pool.broken) for (const worker of pool.workers) worker.postMessage({ type: 'close', session } satisfies WorkerRequest);
      pool.hold(-1);
    },
  };
}
