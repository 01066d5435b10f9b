/**
 * Frame rendering off the event loop, on the engine threads every engine shares
 * (../../threads/thread-pool.ts): each job shares its working image with them once (shared
 * memory) and gets its frames back in order. With `threads: 0` frames are rendered inline: the
 * same bytes, since the renderer is integer arithmetic.
 */
import { openThreadSession, siblingModule } from '../../threads/thread-pool.ts';
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { frameRenderer } from './frame.ts';
import type { FrameOpen } from './frame-thread.ts';

export interface FrameSource {
  /** Frame `index`; ask in order. A few frames ahead are rendered while the caller waits. */
  frame(index: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

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
  const open: FrameOpen = { base: { y: sharedPlane(base.y), u: sharedPlane(base.u), v: sharedPlane(base.v) }, width, height };
  const session = openThreadSession<Rect, Uint8Array>(siblingModule('frame-thread', import.meta.url), count, open);
  const requested = new Map<number, Promise<Uint8Array>>();
  const lookahead = count * 2;
  let next = 0;
  const request = (index: number) => {
    const promise = session.call(index, windows[index]!).catch((error: Error) => {
      throw new Error(`frame ${index} failed to render: ${error.message}`);
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
      session.close(new Error('the job stopped'));
    },
  };
}
