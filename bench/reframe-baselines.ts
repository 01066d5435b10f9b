/**
 * The baselines the reframe fill is measured against, each filling everything outside `rect` of
 * an RGB canvas (3 bytes a pixel) whose inside holds the known image:
 *   stretch  each missing pixel copies the nearest known one (edge stretch)
 *   mirror   the known image reflected about its border (reflect-101, folding again if needed)
 *   blur     the mirror fill under a heavy Gaussian blur (σ = 16), known pixels kept
 *   telea    diffusion inpainting, Telea's fast-marching method (2004), from OpenCV's own build
 *            (@techstark/opencv-js: OpenCV 4.5 compiled to WebAssembly, offline), radius 5
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { Rect } from '../src/engines/builtin/reframe/geometry.ts';
import type { Rgb } from './reframe-metrics.ts';

const inside = (rect: Rect, x: number, y: number) => x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1;

function fillBy(canvas: Rgb, rect: Rect, source: (x: number, y: number) => [number, number]): Rgb {
  const data = Uint8Array.from(canvas.data);
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      if (inside(rect, x, y)) continue;
      const [sx, sy] = source(x, y);
      data.copyWithin((y * canvas.width + x) * 3, (sy * canvas.width + sx) * 3, (sy * canvas.width + sx) * 3 + 3);
    }
  }
  return { ...canvas, data };
}

export function stretch(canvas: Rgb, rect: Rect): Rgb {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi - 1, Math.max(lo, v));
  return fillBy(canvas, rect, (x, y) => [clamp(x, rect.x0, rect.x1), clamp(y, rect.y0, rect.y1)]);
}

/** Reflect-101 into [lo, hi): -1 → 1, hi → hi - 2, folding as often as needed. */
function reflect(v: number, lo: number, hi: number): number {
  const n = hi - lo;
  if (n === 1) return lo;
  const period = 2 * (n - 1);
  let k = (((v - lo) % period) + period) % period;
  if (k >= n) k = period - k;
  return lo + k;
}

export function mirror(canvas: Rgb, rect: Rect): Rgb {
  return fillBy(canvas, rect, (x, y) => [reflect(x, rect.x0, rect.x1), reflect(y, rect.y0, rect.y1)]);
}

export async function blur(canvas: Rgb, rect: Rect): Promise<Rgb> {
  const mirrored = mirror(canvas, rect);
  const blurred = await sharp(mirrored.data, { raw: { width: canvas.width, height: canvas.height, channels: 3 } }).blur(16).raw().toBuffer();
  const data = new Uint8Array(blurred);
  for (let y = rect.y0; y < rect.y1; y++) data.set(canvas.data.subarray((y * canvas.width + rect.x0) * 3, (y * canvas.width + rect.x1) * 3), (y * canvas.width + rect.x0) * 3);
  return { ...canvas, data };
}

interface Mat {
  data: Uint8Array;
  delete(): void;
}

interface OpenCv {
  Mat: new () => Mat;
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): Mat;
  inpaint(src: Mat, mask: Mat, dst: Mat, radius: number, flags: number): void;
  CV_8UC3: number;
  CV_8UC1: number;
  INPAINT_TELEA: number;
  onRuntimeInitialized?: () => void;
}

let openCv: Promise<{ cv: OpenCv } | undefined> | undefined;

/**
 * OpenCV.js, or undefined when the package is not installed (the baseline is then skipped).
 * The module object is an Emscripten thenable, so it travels wrapped: a promise resolved with it
 * (or an async function returning it) would try to adopt it and never settle.
 */
export function loadOpenCv(): Promise<{ cv: OpenCv } | undefined> {
  openCv ??= new Promise((resolve) => {
    let cv: OpenCv;
    try {
      cv = createRequire(import.meta.url)('@techstark/opencv-js') as OpenCv;
    } catch {
      resolve(undefined);
      return;
    }
    if (typeof cv.inpaint === 'function' && typeof cv.Mat === 'function') resolve({ cv });
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
  return openCv;
}

export async function telea(canvas: Rgb, rect: Rect): Promise<Rgb | undefined> {
  const cv = (await loadOpenCv())?.cv;
  if (!cv) return undefined;
  const mask = new Uint8Array(canvas.width * canvas.height);
  for (let y = 0; y < canvas.height; y++) for (let x = 0; x < canvas.width; x++) if (!inside(rect, x, y)) mask[y * canvas.width + x] = 255;
  const src = cv.matFromArray(canvas.height, canvas.width, cv.CV_8UC3, canvas.data);
  const maskMat = cv.matFromArray(canvas.height, canvas.width, cv.CV_8UC1, mask);
  const dst = new cv.Mat();
  try {
    cv.inpaint(src, maskMat, dst, 5, cv.INPAINT_TELEA);
    return { ...canvas, data: Uint8Array.from(dst.data) };
  } finally {
    src.delete();
    maskMat.delete();
    dst.delete();
  }
}
