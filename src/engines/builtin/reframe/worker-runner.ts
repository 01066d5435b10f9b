/**
 * Runs band tasks on worker threads over shared memory. Band i goes to worker i mod n, so with
 * two workers the two bands of a phase run side by side while the event loop stays free. An
 * abort terminates the workers at once (a finest-level phase can take most of a second).
 */
import { Worker } from 'node:worker_threads';
import type { BandRunner, BandTask } from './complete.ts';
import type { LevelBuffers } from './patchmatch.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

export interface WorkerRunner extends BandRunner {
  close(): Promise<void>;
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

export async function createWorkerRunner(count: number, signal?: AbortSignal): Promise<WorkerRunner> {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const entry of pending.values()) entry.reject(failure);
    pending.clear();
  };
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url));
    worker.on('message', (reply: WorkerReply) => {
      const entry = pending.get(reply.id);
      if (!entry) return;
      pending.delete(reply.id);
      if (reply.error) entry.reject(new Error(`reframe worker: ${reply.error}`));
      else entry.resolve();
    });
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(`reframe worker exited (code ${code})`)));
    return worker;
  });
  const close = async () => {
    failure ??= new Error('reframe workers closed');
    await Promise.all(workers.map((worker) => worker.terminate()));
  };
  const onAbort = () => {
    fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    void close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const send = (worker: Worker, request: Omit<WorkerRequest, 'id'>): Promise<void> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<void>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };
  return {
    async setLevel(level: LevelBuffers) {
      await Promise.all(workers.map((worker) => send(worker, { level })));
    },
    async run(tasks: BandTask[]) {
      await Promise.all(tasks.map((task, i) => send(workers[i % workers.length]!, { task })));
    },
    async close() {
      signal?.removeEventListener('abort', onAbort);
      await close();
    },
  };
}
