/**
 * The image-to-video task on an engine thread (../../threads): a session holds a job's working
 * image (shared memory, read-only, copied once into the session's WebAssembly memory); each call
 * renders one frame and hands it back as a fresh yuv420p buffer, transferred, not copied.
 */
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { frameRenderer, type FrameRenderer } from './frame.ts';

export interface FrameOpen {
  base: YuvImage;
  width: number;
  height: number;
}

export function open({ base, width, height }: FrameOpen): FrameRenderer {
  return frameRenderer(base, width, height);
}

export function call(render: FrameRenderer, window: Rect): Uint8Array {
  return render(window);
}
