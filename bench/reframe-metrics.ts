/**
 * Metrics for the reframe quality benchmark, measured on the filled region only (everything
 * outside the known rectangle), each comparing a result with the true photograph:
 *   ssim       mean SSIM (Wang et al. 2004: Gaussian window σ = 1.5, K1 0.01, K2 0.03) on luma
 *   ssimQuarter the same after both images are box-averaged to 1/4 size (coarse structure)
 *   psnr       over the RGB values of the fill
 *   sharpness  mean gradient magnitude of the fill / the truth's there (smear ≪ 1, noise ≫ 1)
 *   seam       mean |change| across the known/fill border / the truth's across the same border
 * Images are RGB, 3 bytes a pixel, row-major.
 */
import type { Rect } from '../src/engines/builtin/reframe/geometry.ts';

export interface Rgb {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Scores {
  ssim: number;
  ssimQuarter: number;
  psnr: number;
  sharpness: number;
  seam: number;
}

const inside = (rect: Rect, x: number, y: number) => x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1;

export function luma(image: Rgb): Float64Array {
  const out = new Float64Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * image.data[i * 3]! + 0.587 * image.data[i * 3 + 1]! + 0.114 * image.data[i * 3 + 2]!;
  return out;
}

/** Box average by `factor` (dimensions floored); the rectangle shrinks to whole known blocks. */
export function shrink(image: Rgb, factor: number): Rgb {
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += image.data[((y * factor + dy) * image.width + x * factor + dx) * 3 + c]!;
        data[(y * width + x) * 3 + c] = Math.round(sum / (factor * factor));
      }
    }
  }
  return { width, height, data };
}

export function shrinkRect(rect: Rect, factor: number): Rect {
  return { x0: Math.ceil(rect.x0 / factor), y0: Math.ceil(rect.y0 / factor), x1: Math.floor(rect.x1 / factor), y1: Math.floor(rect.y1 / factor) };
}

function gaussianBlur(values: Float64Array, w: number, h: number, sigma = 1.5): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const kernel: number[] = [];
  let norm = 0;
  for (let k = -radius; k <= radius; k++) {
    const v = Math.exp(-(k * k) / (2 * sigma * sigma));
    kernel.push(v);
    norm += v;
  }
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += kernel[k + radius]! * values[y * w + Math.min(w - 1, Math.max(0, x + k))]!;
      tmp[y * w + x] = sum / norm;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += kernel[k + radius]! * tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x]!;
      out[y * w + x] = sum / norm;
    }
  }
  return out;
}

/** Mean SSIM over the pixels outside `rect`. */
export function ssim(result: Rgb, truth: Rgb, rect: Rect): number {
  const { width: w, height: h } = truth;
  const a = luma(result);
  const b = luma(truth);
  const product = (p: Float64Array, q: Float64Array) => p.map((v, i) => v * q[i]!);
  const muA = gaussianBlur(a, w, h);
  const muB = gaussianBlur(b, w, h);
  const aa = gaussianBlur(product(a, a), w, h);
  const bb = gaussianBlur(product(b, b), w, h);
  const ab = gaussianBlur(product(a, b), w, h);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (inside(rect, x, y)) continue;
      const i = y * w + x;
      const ma = muA[i]!;
      const mb = muB[i]!;
      const va = aa[i]! - ma * ma;
      const vb = bb[i]! - mb * mb;
      const cov = ab[i]! - ma * mb;
      sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      n++;
    }
  }
  return sum / n;
}

export function psnr(result: Rgb, truth: Rgb, rect: Rect): number {
  let sse = 0;
  let n = 0;
  for (let y = 0; y < truth.height; y++) {
    for (let x = 0; x < truth.width; x++) {
      if (inside(rect, x, y)) continue;
      for (let c = 0; c < 3; c++) {
        const i = (y * truth.width + x) * 3 + c;
        sse += (result.data[i]! - truth.data[i]!) ** 2;
        n++;
      }
    }
  }
  return 10 * Math.log10((255 * 255) / Math.max(1e-9, sse / n));
}

/** Mean central-difference gradient magnitude of luma over the fill (one pixel in from the frame). */
function meanGradient(image: Rgb, rect: Rect): number {
  const { width: w, height: h } = image;
  const y0 = luma(image);
  let sum = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      if (inside(rect, x, y)) continue;
      const gx = (y0[y * w + x + 1]! - y0[y * w + x - 1]!) / 2;
      const gy = (y0[(y + 1) * w + x]! - y0[(y - 1) * w + x]!) / 2;
      sum += Math.hypot(gx, gy);
      n++;
    }
  }
  return sum / n;
}

export function sharpness(result: Rgb, truth: Rgb, rect: Rect): number {
  return meanGradient(result, rect) / meanGradient(truth, rect);
}

/** Mean RGB |difference| between each border pixel of the rectangle and its outside neighbour. */
function borderChange(image: Rgb, rect: Rect): number {
  const { width: w, height: h, data } = image;
  let sum = 0;
  let n = 0;
  const add = (i: number, j: number) => {
    for (let c = 0; c < 3; c++) sum += Math.abs(data[i * 3 + c]! - data[j * 3 + c]!);
    n += 3;
  };
  for (let y = rect.y0; y < rect.y1; y++) {
    if (rect.x0 > 0) add(y * w + rect.x0, y * w + rect.x0 - 1);
    if (rect.x1 < w) add(y * w + rect.x1 - 1, y * w + rect.x1);
  }
  for (let x = rect.x0; x < rect.x1; x++) {
    if (rect.y0 > 0) add(rect.y0 * w + x, (rect.y0 - 1) * w + x);
    if (rect.y1 < h) add((rect.y1 - 1) * w + x, rect.y1 * w + x);
  }
  return n ? sum / n : 0;
}

export function seam(result: Rgb, truth: Rgb, rect: Rect): number {
  return borderChange(result, rect) / borderChange(truth, rect);
}

export function score(result: Rgb, truth: Rgb, rect: Rect): Scores {
  return {
    ssim: ssim(result, truth, rect),
    ssimQuarter: ssim(shrink(result, 4), shrink(truth, 4), shrinkRect(rect, 4)),
    psnr: psnr(result, truth, rect),
    sharpness: sharpness(result, truth, rect),
    seam: seam(result, truth, rect),
  };
}
