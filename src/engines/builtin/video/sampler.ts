/**
 * Renders one plane of a frame: the window (fractional position and size) of an 8-bit plane,
 * resampled to the output size. Separable, with a triangle (tent) filter whose radius is
 * max(1, scale): exactly bilinear when the window is at 1:1, widening into an area filter as the
 * window grows, so a shrinking window neither shimmers (aliasing) nor steps (sub-pixel positions
 * are kept). Integer fixed point throughout, so a frame is the same bytes on every machine.
 */
import type { Rect } from './camera.ts';

export interface Plane {
  data: Uint8Array;
  width: number;
  height: number;
}

const WEIGHT_BITS = 14;
const WEIGHT_ONE = 1 << WEIGHT_BITS;
const NONE = new Int32Array(0);

export interface Taps {
  /** First source index per output sample. */
  start: Int32Array;
  /** Weight k of output sample i at [k][i]; `count` taps, zero-padded, each set summing to WEIGHT_ONE. */
  weights: Int32Array[];
  count: number;
}

/** Filter taps along one axis: `size` output samples covering [offset, offset + length) of `limit`. */
export function filterTaps(offset: number, length: number, size: number, limit: number): Taps {
  const scale = length / size;
  const radius = Math.max(1, scale);
  // Samples strictly within `radius` of the centre: at most ceil(2·radius) of them.
  const count = Math.min(limit, Math.ceil(2 * radius));
  if (count > 4) throw new Error('the window is more than twice the output size');
  const start = new Int32Array(size);
  const weights = Array.from({ length: count }, () => new Int32Array(size));
  const real = new Float64Array(count);
  for (let i = 0; i < size; i++) {
    const centre = offset + (i + 0.5) * scale - 0.5;
    // Keep every tap inside the plane; windows are inside it, so this only trims zero weights.
    const first = Math.min(Math.max(Math.floor(centre - radius) + 1, 0), limit - count);
    let sum = 0;
    for (let k = 0; k < count; k++) {
      real[k] = Math.max(0, 1 - Math.abs(first + k - centre) / radius);
      sum += real[k]!;
    }
    if (sum === 0) {
      // Only at the very edge of the plane: take the nearest sample.
      real[Math.min(count - 1, Math.max(0, Math.round(centre) - first))] = sum = 1;
    }
    let total = 0;
    let largest = 0;
    for (let k = 0; k < count; k++) {
      const weight = Math.round((real[k]! / sum) * WEIGHT_ONE);
      weights[k]![i] = weight;
      total += weight;
      if (weight > weights[largest]![i]!) largest = k;
    }
    weights[largest]![i]! += WEIGHT_ONE - total;
    start[i] = first;
  }
  return { start, weights, count };
}

/** Scratch rows between the two passes, reused across frames. */
let scratch = new Uint16Array(0);

/**
 * Writes `window` of `source` into out[offset …] as outWidth × outHeight bytes, row by row.
 * The window must lie inside the plane (the camera guarantees it) and be at most twice the output.
 */
export function renderPlane(source: Plane, window: Rect, out: Uint8Array, offset: number, outWidth: number, outHeight: number): void {
  const across = filterTaps(window.x, window.width, outWidth, source.width);
  const down = filterTaps(window.y, window.height, outHeight, source.height);
  const firstRow = down.start[0]!;
  const rows = down.start[outHeight - 1]! + down.count - firstRow;
  if (scratch.length < rows * outWidth) scratch = new Uint16Array(rows * outWidth);
  const mid = scratch;
  const src = source.data;
  const srcWidth = source.width;

  // Horizontal pass: each needed source row → outWidth samples, kept with 8 extra bits (×256).
  const hStart = across.start;
  const [h0 = NONE, h1 = NONE, h2 = NONE, h3 = NONE] = across.weights;
  const hCount = across.count;
  for (let r = 0; r < rows; r++) {
    const rowBase = (firstRow + r) * srcWidth;
    const midBase = r * outWidth;
    if (hCount === 2) {
      for (let i = 0; i < outWidth; i++) {
        const p = rowBase + hStart[i]!;
        mid[midBase + i] = (src[p]! * h0[i]! + src[p + 1]! * h1[i]! + 32) >> 6;
      }
    } else if (hCount === 3) {
      for (let i = 0; i < outWidth; i++) {
        const p = rowBase + hStart[i]!;
        mid[midBase + i] = (src[p]! * h0[i]! + src[p + 1]! * h1[i]! + src[p + 2]! * h2[i]! + 32) >> 6;
      }
    } else {
      for (let i = 0; i < outWidth; i++) {
        const p = rowBase + hStart[i]!;
        mid[midBase + i] = (src[p]! * h0[i]! + src[p + 1]! * h1[i]! + src[p + 2]! * h2[i]! + src[p + 3]! * h3[i]! + 32) >> 6;
      }
    }
  }

  // Vertical pass: weighted sums of scratch rows, rounded back to 8 bits.
  const shift = WEIGHT_BITS + 8;
  const half = 1 << (shift - 1);
  const [v0 = NONE, v1 = NONE, v2 = NONE, v3 = NONE] = down.weights;
  const vCount = down.count;
  for (let j = 0; j < outHeight; j++) {
    const m0 = (down.start[j]! - firstRow) * outWidth;
    const m1 = m0 + outWidth;
    const m2 = m1 + outWidth;
    const m3 = m2 + outWidth;
    const a = v0[j]!;
    const b = v1[j]!;
    const o = offset + j * outWidth;
    if (vCount === 2) {
      for (let i = 0; i < outWidth; i++) out[o + i] = (mid[m0 + i]! * a + mid[m1 + i]! * b + half) >> shift;
    } else if (vCount === 3) {
      const c = v2[j]!;
      for (let i = 0; i < outWidth; i++) out[o + i] = (mid[m0 + i]! * a + mid[m1 + i]! * b + mid[m2 + i]! * c + half) >> shift;
    } else {
      const c = v2[j]!;
      const d = v3[j]!;
      for (let i = 0; i < outWidth; i++) out[o + i] = (mid[m0 + i]! * a + mid[m1 + i]! * b + mid[m2 + i]! * c + mid[m3 + i]! * d + half) >> shift;
    }
  }
}
