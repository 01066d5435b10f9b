/**
 * Structure/texture recombination (after Bertalmio et al. 2003, "Simultaneous structure and
 * texture image inpainting"): the PatchMatch fill brings the texture, the structure guide the
 * coarse layout. The fill's low frequencies are pulled towards the guide's:
 *   fill += β · lowpass(guide − fill)
 * with a lowpass of three box passes (≈ Gaussian of σ ≈ radius), so only detail coarser than
 * the radius moves; texture finer than it is the fill's own. β ramps in from 0 at the border over
 * `ramp` pixels: near the source the fill's own continuation of real structures is kept. Known
 * pixels are never written.
 */
import type { Rect } from './geometry.ts';
import type { Membrane } from './guide.ts';

/** One box pass of half-width k over n values at data[offset + i·stride] (edges clamped). */
function boxPass(data: Float32Array, tmp: Float32Array, offset: number, stride: number, n: number, k: number): void {
  for (let i = 0; i < n; i++) tmp[i] = data[offset + i * stride]!;
  const inv = 1 / (2 * k + 1);
  let sum = 0;
  for (let j = -k; j <= k; j++) sum += tmp[j < 0 ? 0 : j >= n ? n - 1 : j]!;
  for (let i = 0; i < n; i++) {
    data[offset + i * stride] = sum * inv;
    const add = i + k + 1;
    const drop = i - k;
    sum += tmp[add >= n ? n - 1 : add]! - tmp[drop < 0 ? 0 : drop]!;
  }
}

/** Three passes of a box blur of half-width k along rows, then columns; yields between passes. */
export async function boxBlur3(plane: Float32Array, w: number, h: number, k: number, yieldNow: () => Promise<void>): Promise<void> {
  const tmp = new Float32Array(Math.max(w, h));
  for (let round = 0; round < 3; round++) {
    for (let y = 0; y < h; y++) boxPass(plane, tmp, y * w, 1, w, k);
    await yieldNow();
    for (let x = 0; x < w; x++) boxPass(plane, tmp, x, w, h, k);
    await yieldNow();
  }
}

/** The half-width of the box whose three passes approximate a Gaussian of σ ≈ radius. */
export function boxHalfWidth(radius: number): number {
  return Math.max(1, Math.round(radius / Math.sqrt(3)));
}

/**
 * fill += strength(d) · planes, per channel and clamped, over the hole's pixels only, with
 * strength(d) = strength · min(1, d / ramp) for d the distance from the known rectangle (the full
 * strength everywhere when ramp is 0). Known pixels are never written.
 */
export function addRamped(img: Int32Array, w: number, h: number, rect: Rect, planes: Float32Array[], strength: number, ramp: number): void {
  const [p0, p1, p2] = planes as [Float32Array, Float32Array, Float32Array];
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let y = 0; y < h; y++) {
    const inRows = y >= rect.y0 && y < rect.y1;
    const dy = y < rect.y0 ? rect.y0 - y : y >= rect.y1 ? y - rect.y1 + 1 : 0;
    for (let x = 0; x < w; x++) {
      if (inRows && x === rect.x0) x = rect.x1;
      if (x >= w) break;
      const dx = x < rect.x0 ? rect.x0 - x : x >= rect.x1 ? x - rect.x1 + 1 : 0;
      const b = ramp > 0 ? strength * Math.min(1, Math.max(dx, dy) / ramp) : strength;
      const i = y * w + x;
      const v = img[i]!;
      img[i] = (clamp((v >> 16) + b * p0[i]!) << 16) | (clamp(((v >> 8) & 255) + b * p1[i]!) << 8) | clamp((v & 255) + b * p2[i]!);
    }
  }
}

/**
 * `yieldNow` is awaited between passes (about 10 ms of work each at 1536 × 640), so the thread's
 * event loop keeps answering while this runs on it.
 */
export async function pullLowFrequencies(img: Int32Array, guide: Membrane, rect: Rect, radius: number, beta: number, ramp: number, yieldNow: () => Promise<void>): Promise<void> {
  if (beta <= 0 || radius <= 0) return;
  const { width: w, height: h } = guide;
  const diff: Float32Array[] = [];
  for (let c = 0; c < 3; c++) {
    const shift = 16 - 8 * c;
    const g = guide.planes[c as 0 | 1 | 2];
    const d = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) d[i] = g[i]! - ((img[i]! >> shift) & 255);
    await boxBlur3(d, w, h, boxHalfWidth(radius), yieldNow);
    diff.push(d);
  }
  addRamped(img, w, h, rect, diff, beta, ramp);
}

/**
 * Damps the fill's middle frequencies (detail between `fineRadius` and `coarseRadius`) by up to
 * `damp`, ramping in from 0 at the border over `ramp` pixels:
 *   fill −= damp(d) · (lowpass_fine(fill) − lowpass_coarse(fill))
 * Why: far from the source the patches' mid-scale layout (a clump of trees, a cloud) is a guess
 * that does not line up with the real scene, and an unaligned structure costs more than none
 * (SSIM's structure term; see docs/benchmarks.md). Near the border the patches continue real
 * structures, so they are kept; detail finer than `fineRadius` (the texture's grain) is never
 * touched, so the fill stays as sharp as a photograph. Known pixels are never written.
 */
export async function dampMidFrequencies(img: Int32Array, width: number, height: number, rect: Rect, fineRadius: number, coarseRadius: number, damp: number, ramp: number, yieldNow: () => Promise<void>): Promise<void> {
  if (damp <= 0 || coarseRadius <= fineRadius) return;
  const w = width;
  const h = height;
  const band: Float32Array[] = [];
  for (let c = 0; c < 3; c++) {
    const shift = 16 - 8 * c;
    const fine = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) fine[i] = (img[i]! >> shift) & 255;
    const coarse = Float32Array.from(fine);
    if (fineRadius > 0) await boxBlur3(fine, w, h, boxHalfWidth(fineRadius), yieldNow);
    await boxBlur3(coarse, w, h, boxHalfWidth(coarseRadius), yieldNow);
    // Negated, so the shared step adds it: fill += damp(d) · (coarse − fine).
    for (let i = 0; i < w * h; i++) coarse[i] = coarse[i]! - fine[i]!;
    band.push(coarse);
  }
  addRamped(img, w, h, rect, band, damp, ramp);
}
