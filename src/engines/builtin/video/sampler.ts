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

/** Scratch rows between the two passes, reused across frames (one set per thread). */
let scratch = new Uint16Array(0);

/**
 * Writes `window` of `source` into out[offset …] as outWidth × outHeight bytes, row by row.
 * The window must lie inside the plane (the camera guarantees it) and be at most twice the output.
 * Vertical pass first, over contiguous source rows and only the columns the window touches; then
 * the horizontal pass (the one with scattered reads) over output rows only.
 */
export function renderPlane(source: Plane, window: Rect, out: Uint8Array, offset: number, outWidth: number, outHeight: number): void {
  const across = filterTaps(window.x, window.width, outWidth, source.width);
  const down = filterTaps(window.y, window.height, outHeight, source.height);
  const firstColumn = across.start[0]!;
  const columns = across.start[outWidth - 1]! + across.count - firstColumn;
  if (scratch.length < columns * outHeight) scratch = new Uint16Array(columns * outHeight);
  const mid = scratch;
  const src = source.data;
  const srcWidth = source.width;

  // Vertical pass: output row j ← weighted source rows, over the window's columns, kept with 8
  // extra bits (×256).
  const [v0 = NONE, v1 = NONE, v2 = NONE, v3 = NONE] = down.weights;
  const vCount = down.count;
  for (let j = 0; j < outHeight; j++) {
    const r0 = down.start[j]! * srcWidth + firstColumn;
    const r1 = r0 + srcWidth;
    const r2 = r1 + srcWidth;
    const r3 = r2 + srcWidth;
    const a = v0[j]!;
    const b = v1[j]!;
    const m = j * columns;
    if (vCount === 2) {
      for (let i = 0; i < columns; i++) mid[m + i] = (src[r0 + i]! * a + src[r1 + i]! * b + 32) >> 6;
    } else if (vCount === 3) {
      const c = v2[j]!;
      for (let i = 0; i < columns; i++) mid[m + i] = (src[r0 + i]! * a + src[r1 + i]! * b + src[r2 + i]! * c + 32) >> 6;
    } else {
      const c = v2[j]!;
      const d = v3[j]!;
      for (let i = 0; i < columns; i++) mid[m + i] = (src[r0 + i]! * a + src[r1 + i]! * b + src[r2 + i]! * c + src[r3 + i]! * d + 32) >> 6;
    }
  }

  // Horizontal pass: each output sample ← weighted scratch samples, rounded back to 8 bits.
  const shift = WEIGHT_BITS + 8;
  const half = 1 << (shift - 1);
  const hStart = across.start;
  const [h0 = NONE, h1 = NONE, h2 = NONE, h3 = NONE] = across.weights;
  const hCount = across.count;
  for (let j = 0; j < outHeight; j++) {
    const m = j * columns - firstColumn;
    const o = offset + j * outWidth;
    if (hCount === 2) {
      for (let i = 0; i < outWidth; i++) {
        const p = m + hStart[i]!;
        out[o + i] = (mid[p]! * h0[i]! + mid[p + 1]! * h1[i]! + half) >> shift;
      }
    } else if (hCount === 3) {
      for (let i = 0; i < outWidth; i++) {
        const p = m + hStart[i]!;
        out[o + i] = (mid[p]! * h0[i]! + mid[p + 1]! * h1[i]! + mid[p + 2]! * h2[i]! + half) >> shift;
      }
    } else {
      for (let i = 0; i < outWidth; i++) {
        const p = m + hStart[i]!;
        out[o + i] = (mid[p]! * h0[i]! + mid[p + 1]! * h1[i]! + mid[p + 2]! * h2[i]! + mid[p + 3]! * h3[i]! + half) >> shift;
      }
    }
  }
}
