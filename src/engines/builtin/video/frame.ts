/** One yuv420p frame: the luma window, then the same window at half scale in each chroma plane. */
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { renderPlane } from './sampler.ts';

export function renderFrame(base: YuvImage, window: Rect, out: Uint8Array, width: number, height: number): void {
  renderPlane(base.y, window, out, 0, width, height);
  const half = { x: window.x / 2, y: window.y / 2, width: window.width / 2, height: window.height / 2 };
  renderPlane(base.u, half, out, width * height, width / 2, height / 2);
  renderPlane(base.v, half, out, width * height * 1.25, width / 2, height / 2);
}
