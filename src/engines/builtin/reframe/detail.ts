/**
 * Fine grain from single best patches. The vote (patchmatch.ts) makes each hole pixel the average
 * of up to (2r+1)² overlapping matches; where they disagree, as they do far from the source, the
 * average is a smear of the texture (issue 17: sharpness 0.53 on photographs never tuned on). Here
 * each hole pixel is also read from one match alone: of the target patches covering it, the one
 * with the highest vote weight (the closest match), the patch centred on the pixel when they tie
 * (at a level that was not searched, every weight is 1). That copy is real texture, pixel for
 * pixel, but its coarse layout is only as good as one patch; so only its band finer than `radius`
 * replaces the vote's (gain 1), and the vote keeps everything coarser:
 *   fill += gain(d) · highpass(picked − fill)
 * with gain(d) ramping in from 0 at the border over `ramp` pixels: right at the border the vote's
 * average is what continues the source smoothly (the seam). Known pixels are never written.
 */
import type { LevelBuffers } from './patchmatch.ts';
import { addRamped, boxBlur3, boxHalfWidth } from './structure.ts';

/** Rows picked between yields: about 10 ms of work at 1536 px across. */
const ROWS_PER_SLICE = 48;

/** The pixel at (x, y) as the single best covering match says it is, packed. */
export function pickedPixel(level: LevelBuffers, x: number, y: number): number {
  const { width: w, height: h, radius: r, img, nnf, voteWeight } = level;
  const ccx = Math.min(w - 1 - r, Math.max(r, x));
  const ccy = Math.min(h - 1 - r, Math.max(r, y));
  let best = ccy * w + ccx;
  let bestK = nnf[best]! >= 0 ? voteWeight[best]! : -1;
  // A weight is at most 1 (exp(−dist/…)), so a centre at 1 (always, on a level never searched) wins outright.
  if (bestK < 1) for (let cy = Math.max(r, y - r); cy <= Math.min(h - 1 - r, y + r); cy++) {
    for (let cx = Math.max(r, x - r); cx <= Math.min(w - 1 - r, x + r); cx++) {
      const c = cy * w + cx;
      if (nnf[c]! < 0) continue;
      const k = voteWeight[c]!;
      if (k > bestK) {
        bestK = k;
        best = c;
      }
    }
  }
  if (bestK < 0) return img[y * w + x]!;
  const bx = best % w;
  const by = (best / w) | 0;
  return img[nnf[best]! + (y - by) * w + (x - bx)]!;
}

export async function restoreFineDetail(level: LevelBuffers, radius: number, gain: number, ramp: number, yieldNow: () => Promise<void>): Promise<void> {
  if (gain <= 0 || radius <= 0) return;
  const { width: w, height: h, rect, img } = level;
  const diff: [Float32Array, Float32Array, Float32Array] = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  for (let from = 0; from < h; from += ROWS_PER_SLICE) {
    for (let y = from; y < Math.min(h, from + ROWS_PER_SLICE); y++) {
      const inRows = y >= rect.y0 && y < rect.y1;
      for (let x = 0; x < w; x++) {
        if (inRows && x === rect.x0) x = rect.x1;
        if (x >= w) break;
        const i = y * w + x;
        const p = pickedPixel(level, x, y);
        const v = img[i]!;
        diff[0][i] = (p >> 16) - (v >> 16);
        diff[1][i] = ((p >> 8) & 255) - ((v >> 8) & 255);
        diff[2][i] = (p & 255) - (v & 255);
      }
    }
    await yieldNow();
  }
  for (const d of diff) {
    const low = Float32Array.from(d);
    await boxBlur3(low, w, h, boxHalfWidth(radius), yieldNow);
    for (let i = 0; i < d.length; i++) d[i] = d[i]! - low[i]!;
  }
  addRamped(img, w, h, rect, diff, gain, ramp);
}
