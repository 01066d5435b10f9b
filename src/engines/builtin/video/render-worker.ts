/**
 * A frame-rendering thread. Each job opens a session with its working image (shared memory,
 * read-only); the thread renders the frames it is asked for and transfers each back as a fresh
 * yuv420p buffer. The threads live as long as the process, so only the first job pays their start.
 */
import { parentPort } from 'node:worker_threads';
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { renderFrame } from './frame.ts';

export type WorkerRequest =
  | { type: 'open'; session: number; base: YuvImage; width: number; height: number }
  | { type: 'render'; session: number; index: number; window: Rect }
  | { type: 'close'; session: number };
export type WorkerReply = { session: number; index: number; frame: Uint8Array; error?: undefined } | { session: number; index: number; error: string };

const sessions = new Map<number, { base: YuvImage; width: number; height: number }>();

parentPort?.on('message', (message: WorkerRequest) => {
  if (message.type === 'open') {
    sessions.set(message.session, message);
    return;
  }
  if (message.type === 'close') {
    sessions.delete(message.session);
    return;
  }
  const { session, index } = message;
  try {
    const job = sessions.get(session);
    if (!job) throw new Error(`no session ${session}`);
    const frame = new Uint8Array(job.width * job.height * 1.5);
    renderFrame(job.base, message.window, frame, job.width, job.height);
    parentPort!.postMessage({ session, index, frame } satisfies WorkerReply, [frame.buffer]);
  } catch (error) {
    parentPort!.postMessage({ session, index, error: (error as Error).stack ?? String(error) } satisfies WorkerReply);
  }
});
