/**
 * One yuv420p frame: the luma window, then the same window at half scale in each chroma plane.
 * frameRenderer() picks the WebAssembly sampler where WebAssembly SIMD is available (everywhere
 * Node 20 runs) and the TypeScript one otherwise; both give the same bytes.
 */
import type { Rect } from './camera.ts';
import type { YuvImage } from './color.ts';
import { renderPlane } from './sampler.ts';
import { samplerModule, WasmFrameRenderer } from './wasm-renderer.ts';

/** The TypeScript renderer: the reference the WebAssembly one is tested against. */
export function renderFrame(base: YuvImage, window: Rect, out: Uint8Array, width: number, height: number): void {
  renderPlane(base.y, window, out, 0, width, height);
  const half = { x: window.x / 2, y: window.y / 2, width: window.width / 2, height: window.height / 2 };
  renderPlane(base.u, half, out, width * height, width / 2, height / 2);
  renderPlane(base.v, half, out, width * height * 1.25, width / 2, height / 2);
}

export type FrameRenderer = (window: Rect) => Uint8Array;

/** Renders frames of `base` into fresh buffers (each one the caller's to keep or transfer). */
export function frameRenderer(base: YuvImage, width: number, height: number, engine: 'auto' | 'wasm' | 'js' = 'auto'): FrameRenderer {
  const module = engine === 'js' ? null : samplerModule();
  if (module) {
    const renderer = new WasmFrameRenderer(module, base, width, height);
    return (window) => renderer.render(window).slice();
  }
  if (engine === 'wasm') throw new Error('WebAssembly SIMD is not available');
  return (window) => {
    const out = new Uint8Array(width * height * 1.5);
    renderFrame(base, window, out, width, height);
    return out;
  };
}
