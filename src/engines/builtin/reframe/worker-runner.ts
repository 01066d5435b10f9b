/**
 * Runs band tasks on the engine threads (../../threads/thread-pool.ts) over shared memory. Band i
 * goes to thread i mod n, so with two threads the two bands of a phase run side by side while the
 * event loop stays free. An abort rejects the job's unanswered bands at once with the signal's
 * reason; a thread finishes the band it is on (well under a second) and drops it.
 */
import { openThreadSession, siblingModule } from '../../threads/thread-pool.ts';
import type { BandCall } from './band-thread.ts';
import type { BandRunner, BandTask } from './complete.ts';
import type { LevelBuffers } from './patchmatch.ts';

export interface WorkerRunner extends BandRunner {
  close(): Promise<void>;
}

export function createWorkerRunner(count: number, signal?: AbortSignal): WorkerRunner {
  const session = openThreadSession<BandCall, null>(siblingModule('band-thread', import.meta.url), count, undefined);
  const onAbort = () => session.close(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  return {
    async setLevel(level: LevelBuffers) {
      await session.broadcast({ level });
    },
    async run(tasks: BandTask[]) {
      await Promise.all(tasks.map((task, i) => session.call(i, { task })));
    },
    async close() {
      signal?.removeEventListener('abort', onAbort);
      session.close();
    },
  };
}
