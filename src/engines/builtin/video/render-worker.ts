/**
 * A frame-rendering thread. Each job opens a session with its working image (shared memory,
 * read-only, copied once into the session's WebAssembly memory); the thread renders the frames it is asked for and transfers each back as a fresh
 * yuv420p buffer. The threads live as long as the process, so only the first job pays their start.
 */
import { parentPort } from 'node:worker_threads';
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { frameRenderer, type FrameRenderer } from './frame.ts';

export type WorkerRequest =
  | { type: 'open'; session: number; base: YuvImage; width: number; height: number }
  | { type: 'render'; session: number; index: number; window: Rect }
  | { type: 'close'; session: number };
export type WorkerReply = { session: number; index: number; frame: Uint8Array; error?: undefined } | { session: number; index: number; error: string };

const sessions = new Map<number, FrameRenderer>();

parentPort?.on('message', (message: WorkerRequest) => {
  if (message.type === 'open') {
    sessions.set(message.session, frameRenderer(message.base, message.width, message.height));
    return;
  }
  if (message.type === 'close') {
    sessions.delete(message.session);
    return;
  }
  const { session, index } = message;
  try {
    const render = sessions.get(session);
    if (!render) throw new Error(`no session ${session}`);
    const frame = render(message.window);
    parentPort!.postMessage({ session, index, frame } satisfies WorkerReply, [frame.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ session, index, error: (error as Error).stack ?? String(error) } satisfies WorkerReply);
  }
});
