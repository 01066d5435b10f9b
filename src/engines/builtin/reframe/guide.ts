/**
 * The structure guide: a smooth estimate of the hole that carries the coarse layout of the
 * source outwards (sky above, ground below, a horizon continuing): each side's edge extended
 * straight out, blurred along the edge more the further it goes (the uncertainty grows with the
 * distance). The PatchMatch search prefers source patches whose mean colour agrees with it, so
 * the texture follows the structure, and the coarsest level starts from it. Planar float channels.
 */
import type { Rect } from './geometry.ts';

export interface Membrane {
  width: number;
  height: number;
  /** R, G, B planes, width × height each. */
  planes: [Float32Array, Float32Array, Float32Array];
}

const isKnown = (rect: Rect, x: number, y: number) => x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1;

export function membraneFromPacked(img: Int32Array, width: number, height: number): Membrane {
  const planes: Membrane['planes'] = [new Float32Array(width * height), new Float32Array(width * height), new Float32Array(width * height)];
  for (let i = 0; i < img.length; i++) {
    const v = img[i]!;
    planes[0][i] = v >> 16;
    planes[1][i] = (v >> 8) & 255;
    planes[2][i] = v & 255;
  }
  return { width, height, planes };
}

/** Writes the membrane's hole pixels into a packed image (rounded). */
export function packHole(m: Membrane, rect: Rect, img: Int32Array): void {
  const [r, g, b] = m.planes;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (isKnown(rect, x, y)) continue;
      const i = y * m.width + x;
      img[i] = (Math.round(r[i]!) << 16) | (Math.round(g[i]!) << 8) | Math.round(b[i]!);
    }
  }
}

/** Reflect-101 into [0, n). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

type Side = 'left' | 'right' | 'top' | 'bottom';

/**
 * The guide for one side: the known image's edge (mean of its first `depth` columns or rows)
 * carried straight out, blurred along the edge by a box that widens with the distance d from it
 * (half-width √3·(1 + α·d): the variance of a Gaussian of σ = 1 + α·d).
 */
function extendSide(m: Membrane, rect: Rect, side: Side, alpha: number, depth: number): void {
  const { width: w, height: h } = m;
  const horizontal = side === 'left' || side === 'right';
  const n = horizontal ? h : w; // positions along the edge
  const lo = horizontal ? rect.y0 : rect.x0;
  const hi = horizontal ? rect.y1 : rect.x1;
  const gap = side === 'left' ? rect.x0 : side === 'right' ? w - rect.x1 : side === 'top' ? rect.y0 : h - rect.y1;
  if (gap <= 0) return;
  const span = horizontal ? rect.x1 - rect.x0 : rect.y1 - rect.y0;
  const rows = Math.max(1, Math.min(depth, span));
  const across = (d: number) => (side === 'left' ? rect.x0 - d : side === 'right' ? rect.x1 - 1 + d : side === 'top' ? rect.y0 - d : rect.y1 - 1 + d);
  const at = (a: number, b: number) => (horizontal ? a * w + b : b * w + a);
  const maxK = Math.ceil(Math.sqrt(3) * (1 + alpha * gap)) + 1;
  // Top and bottom strips cover only the known columns: the side strips already took the corners.
  const from = horizontal ? 0 : rect.x0;
  const to = horizontal ? n : rect.x1;
  for (const plane of m.planes) {
    const edge = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      const along = Math.min(hi - 1, Math.max(lo, a));
      let sum = 0;
      for (let b = 0; b < rows; b++) sum += plane[at(along, across(-b))]!;
      edge[a] = sum / rows;
    }
    // Prefix sums over the edge extended by reflection, so windows past the frame fold back.
    const prefix = new Float64Array(n + 2 * maxK + 1);
    for (let i = 0; i < n + 2 * maxK; i++) prefix[i + 1] = prefix[i]! + edge[reflect(i - maxK, n)]!;
    for (let d = 1; d <= gap; d++) {
      const k = Math.min(maxK, Math.round(Math.sqrt(3) * (1 + alpha * d)));
      const b = across(d);
      for (let a = from; a < to; a++) plane[at(a, b)] = (prefix[a + maxK + k + 1]! - prefix[a + maxK - k]!) / (2 * k + 1);
    }
  }
}

/**
 * The structure guide of a level: the packed image with its hole filled by extendSide from each
 * side that has a gap. `alpha` sets how fast the blur along the edge grows with distance.
 */
export function structureGuide(img: Int32Array, width: number, height: number, rect: Rect, alpha: number, depth: number): Membrane {
  const m = membraneFromPacked(img, width, height);
  for (const side of ['left', 'right', 'top', 'bottom'] as const) extendSide(m, rect, side, alpha, depth);
  return m;
}

/**
 * Box mean over (2r+1)² around every pixel (clamped at the frame), packed 0xRRGGBB: the mean
 * colour of the patch centred there. Runs on a guide so the hole holds the guide's values.
 */
export function patchMeans(m: Membrane, r: number, out: Int32Array): void {
  const { width: w, height: h } = m;
  const tmp = new Float32Array(w * h);
  out.fill(0);
  const area = (2 * r + 1) * (2 * r + 1);
  for (let c = 0; c < 3; c++) {
    const p = m.planes[c as 0 | 1 | 2];
    for (let y = 0; y < h; y++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += p[y * w + Math.min(w - 1, Math.max(0, k))]!;
      for (let x = 0; x < w; x++) {
        tmp[y * w + x] = sum;
        sum += p[y * w + Math.min(w - 1, x + r + 1)]! - p[y * w + Math.max(0, x - r)]!;
      }
    }
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += tmp[Math.min(h - 1, Math.max(0, k)) * w + x]!;
      for (let y = 0; y < h; y++) {
        const v = Math.min(255, Math.max(0, Math.round(sum / area)));
        out[y * w + x] = out[y * w + x]! | (v << (16 - 8 * c));
        sum += tmp[Math.min(h - 1, y + r + 1) * w + x]! - tmp[Math.max(0, y - r) * w + x]!;
      }
    }
  }
}
