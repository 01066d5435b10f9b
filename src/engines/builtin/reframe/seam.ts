/**
 * Seam correction, in the spirit of Poisson blending (Pérez et al. 2003): along each border, the
 * difference between the real known pixel and what the fill's own matches say that pixel should
 * be is an offset the fill carries near the border; it is added back to the fill, fading out
 * linearly over `ramp` pixels. The fill's own gradient then continues from the real pixel, so the
 * border changes as much as the texture does, no more. Known pixels are never written.
 */
import type { LevelBuffers } from './patchmatch.ts';
import { votedPixel } from './patchmatch.ts';

type Side = 'left' | 'right' | 'top' | 'bottom';

function correctSide(level: LevelBuffers, side: Side, ramp: number): void {
  const { width: w, height: h, rect, img } = level;
  const horizontal = side === 'left' || side === 'right';
  const gap = side === 'left' ? rect.x0 : side === 'right' ? w - rect.x1 : side === 'top' ? rect.y0 : h - rect.y1;
  if (gap <= 0) return;
  const lo = horizontal ? rect.y0 : rect.x0;
  const hi = horizontal ? rect.y1 : rect.x1;
  const n = horizontal ? h : w;
  const across = (d: number) => (side === 'left' ? rect.x0 - d : side === 'right' ? rect.x1 - 1 + d : side === 'top' ? rect.y0 - d : rect.y1 - 1 + d);
  const at = (a: number, b: number) => (horizontal ? a * w + b : b * w + a);
  // Offsets along the edge (known − predicted), per channel, smoothed over 5 positions.
  const raw = new Float64Array((hi - lo) * 3);
  for (let a = lo; a < hi; a++) {
    const b = across(0);
    const known = img[at(a, b)]!;
    const predicted = horizontal ? votedPixel(level, b, a) : votedPixel(level, a, b);
    const i = (a - lo) * 3;
    raw[i] = (known >> 16) - (predicted >> 16);
    raw[i + 1] = ((known >> 8) & 255) - ((predicted >> 8) & 255);
    raw[i + 2] = (known & 255) - (predicted & 255);
  }
  const offsets = new Float64Array(n * 3);
  for (let a = 0; a < n; a++) {
    const c = Math.min(hi - 1, Math.max(lo, a)) - lo;
    for (let ch = 0; ch < 3; ch++) {
      let sum = 0;
      let count = 0;
      for (let k = Math.max(0, c - 2); k <= Math.min(hi - lo - 1, c + 2); k++, count++) sum += raw[k * 3 + ch]!;
      offsets[a * 3 + ch] = sum / count;
    }
  }
  const from = horizontal ? 0 : rect.x0;
  const to = horizontal ? n : rect.x1;
  for (let d = 1; d <= Math.min(gap, ramp); d++) {
    const f = 1 - (d - 1) / ramp;
    const b = across(d);
    for (let a = from; a < to; a++) {
      const i = at(a, b);
      const v = img[i]!;
      const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x));
      img[i] = (clamp((v >> 16) + f * offsets[a * 3]!) << 16) | (clamp(((v >> 8) & 255) + f * offsets[a * 3 + 1]!) << 8) | clamp((v & 255) + f * offsets[a * 3 + 2]!);
    }
  }
}

export function correctSeams(level: LevelBuffers, ramp: number): void {
  if (ramp <= 0) return;
  for (const side of ['left', 'right', 'top', 'bottom'] as const) correctSide(level, side, ramp);
}
