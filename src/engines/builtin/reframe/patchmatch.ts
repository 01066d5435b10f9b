/**
 * The PatchMatch kernels (Barnes et al. 2009) for image completion in the style of Wexler et al.
 * (2007): a nearest-neighbour field (NNF) maps every target patch (a patch that touches the
 * hole) to a source patch wholly inside the known rectangle; `searchBand` improves it by
 * propagation and random search, `voteBand` rebuilds each hole pixel as the average of what the
 * overlapping patches' matches say it should be.
 *
 * Both work on a band of rows and touch only that band's entries, so bands run in parallel on
 * shared memory: the search writes the NNF of its own centres and reads the image, the vote
 * writes hole pixels and reads only known ones (source patches never cover the hole).
 * The distance adds a guide term: how far the source patch's mean colour is from the structure
 * guide's at the target (guide.ts), so the coarse layout follows the guide.
 * Everything is integer arithmetic over typed arrays; a pixel is one int, 0xRRGGBB.
 */
import type { Rect } from './geometry.ts';
import { prng } from '../prng.ts';

export interface LevelBuffers {
  width: number;
  height: number;
  /** Known rectangle (exclusive ends); everything outside it is hole. */
  rect: Rect;
  /** Patch radius: patches are (2r+1)². */
  radius: number;
  /** Packed pixels 0xRRGGBB, width × height. */
  img: Int32Array;
  /** Per pixel: how much a pixel of a target patch counts in the distance (known pixels more). */
  weight: Uint8Array;
  /** Per patch centre: the matched source centre as y × width + x, or -1 when not a target. */
  nnf: Int32Array;
  /** Per patch centre: the weighted SSD of the current match (guide term included). */
  dist: Int32Array;
  /** Per pixel, packed: the mean colour of the patch centred there, the hole taken from the guide. */
  means: Int32Array;
  /** Weight of the guide term: guideWeight × patch area × |mean(target) − mean(source)|². */
  guideWeight: number;
  /** Squared colour distance (R+G+B) between means that the guide term forgives. */
  guideTolerance2: number;
  /** Per patch centre: its weight in the vote, exp(−dist / (area × voteSigma²)); 1 before any search. */
  voteWeight: Float32Array;
  /** Per-pixel colour error (summed over R, G, B) at which a match's vote weight falls to 1/e; 0 = equal votes. */
  voteSigma2: number;
}

/** Valid source centres: patches wholly inside the known rectangle. */
export function sourceRange(level: Pick<LevelBuffers, 'rect' | 'radius'>): Rect {
  const { rect, radius: r } = level;
  return { x0: rect.x0 + r, y0: rect.y0 + r, x1: rect.x1 - r, y1: rect.y1 - r };
}

/** True when the patch centred at (x, y) is a target: inside the frame and touching the hole. */
export function isTarget(level: Pick<LevelBuffers, 'width' | 'height' | 'rect' | 'radius'>, x: number, y: number): boolean {
  const { width: w, height: h, rect, radius: r } = level;
  if (x < r || y < r || x >= w - r || y >= h - r) return false;
  return !(x - r >= rect.x0 && x + r < rect.x1 && y - r >= rect.y0 && y + r < rect.y1);
}

/** The target centres of row y, as one or two [from, to) column runs. */
function targetRuns(level: LevelBuffers, y: number): number[] {
  const { width: w, rect, radius: r } = level;
  if (y - r < rect.y0 || y + r >= rect.y1) return [r, w - r];
  const runs: number[] = [];
  const leftEnd = Math.min(w - r, rect.x0 + r);
  if (leftEnd > r) runs.push(r, leftEnd);
  const rightStart = Math.max(r, rect.x1 - r);
  if (rightStart < w - r) runs.push(rightStart, w - r);
  return runs;
}

export function patchDistance(level: LevelBuffers, t: number, s: number, cutoff: number): number {
  const { img, weight, width: w, radius: r } = level;
  const offset = r * (w + 1);
  const g = guideTerm(level.means[t]!, level.means[s]!, level.guideWeight * (2 * r + 1) * (2 * r + 1), level.guideTolerance2);
  return g >= cutoff ? g : g + ssd(img, weight, w, 2 * r + 1, t - offset, s - offset, cutoff - g);
}

/** scale × max(0, |a − b|² − tolerance²): means within the tolerance cost nothing. */
function guideTerm(a: number, b: number, scale: number, tolerance2: number): number {
  const d0 = (a >> 16) - (b >> 16);
  const d1 = ((a >> 8) & 255) - ((b >> 8) & 255);
  const d2 = (a & 255) - (b & 255);
  const excess = d0 * d0 + d1 * d1 + d2 * d2 - tolerance2;
  return excess > 0 ? (scale * excess) | 0 : 0;
}

/**
 * Weighted SSD of two side × side patches given by their top-left pixel indices; stops early
 * (returning a value ≥ cutoff) once a row takes the sum past `cutoff`.
 */
function ssd(img: Int32Array, weight: Uint8Array, w: number, side: number, t0: number, s0: number, cutoff: number): number {
  let sum = 0;
  for (let row = 0; row < side; row++) {
    const t = t0 + row * w;
    const s = s0 + row * w;
    for (let k = 0; k < side; k++) {
      const p = img[t + k]!;
      const q = img[s + k]!;
      const d0 = (p >> 16) - (q >> 16);
      const d1 = ((p >> 8) & 255) - ((q >> 8) & 255);
      const d2 = (p & 255) - (q & 255);
      sum += weight[t + k]! * (d0 * d0 + d1 * d1 + d2 * d2);
    }
    if (sum >= cutoff) return sum;
  }
  return sum;
}

export interface SearchArgs {
  /** Rows of patch centres [y0, y1). */
  rowFrom: number;
  rowTo: number;
  /** Even iterations scan forward (propagating from left/up), odd ones backward. */
  iteration: number;
  seed: number;
  /** Largest random-search window radius, in pixels. */
  maxRadius: number;
}

/** One PatchMatch pass over the target centres of rows [rowFrom, rowTo). */
export function searchBand(level: LevelBuffers, args: SearchArgs): void {
  const { width: w, nnf, dist, voteWeight } = level;
  const sigmaArea = level.voteSigma2 * (2 * level.radius + 1) * (2 * level.radius + 1);
  const src = sourceRange(level);
  const random = prng(args.seed);
  const forward = args.iteration % 2 === 0;
  const step = forward ? 1 : -1;
  const radius0 = Math.max(1, Math.min(args.maxRadius, Math.max(src.x1 - src.x0, src.y1 - src.y0)));
  const rows = args.rowTo - args.rowFrom;
  for (let n = 0; n < rows; n++) {
    const y = forward ? args.rowFrom + n : args.rowTo - 1 - n;
    const runs = targetRuns(level, y);
    for (let run = 0; run < runs.length; run += 2) {
      const runIndex = forward ? run : runs.length - 2 - run;
      const from = runs[runIndex]!;
      const to = runs[runIndex + 1]!;
      for (let x = forward ? from : to - 1; forward ? x < to : x >= from; x += step) {
        const t = y * w + x;
        let best = nnf[t]!;
        let bestD = patchDistance(level, t, best, 0x7fffffff);
        // Propagation: the horizontal neighbour (same row) and the vertical one inside the band.
        const hn = t - step;
        const hq = nnf[hn]!;
        if (x - step >= from && x - step < to && hq >= 0) {
          const cand = hq + step;
          const cx = cand % w;
          if (cx >= src.x0 && cx < src.x1 && cand !== best) {
            const d = patchDistance(level, t, cand, bestD);
            if (d < bestD) { bestD = d; best = cand; }
          }
        }
        const vy = y - step;
        if (vy >= args.rowFrom && vy < args.rowTo) {
          const vq = nnf[t - step * w]!;
          if (vq >= 0) {
            const cand = vq + step * w;
            const cy = (cand / w) | 0;
            if (cy >= src.y0 && cy < src.y1 && cand !== best) {
              const d = patchDistance(level, t, cand, bestD);
              if (d < bestD) { bestD = d; best = cand; }
            }
          }
        }
        // Random search around the best so far, in windows halving from radius0.
        for (let radius = radius0; radius >= 1; radius >>= 1) {
          const bx = best % w;
          const by = (best / w) | 0;
          const span = 2 * radius + 1;
          let cx = bx + (random() % span) - radius;
          let cy = by + (random() % span) - radius;
          cx = cx < src.x0 ? src.x0 : cx >= src.x1 ? src.x1 - 1 : cx;
          cy = cy < src.y0 ? src.y0 : cy >= src.y1 ? src.y1 - 1 : cy;
          const cand = cy * w + cx;
          if (cand === best) continue;
          const d = patchDistance(level, t, cand, bestD);
          if (d < bestD) { bestD = d; best = cand; }
        }
        nnf[t] = best;
        dist[t] = bestD;
        if (sigmaArea > 0) voteWeight[t] = Math.exp(-Math.min(60, bestD / sigmaArea));
      }
    }
  }
}

/** Random matches for every target centre of rows [rowFrom, rowTo); -1 elsewhere. */
export function randomNnfBand(level: LevelBuffers, rowFrom: number, rowTo: number, seed: number): void {
  const { width: w, nnf } = level;
  const src = sourceRange(level);
  const random = prng(seed);
  const sw = src.x1 - src.x0;
  const sh = src.y1 - src.y0;
  for (let y = rowFrom; y < rowTo; y++) {
    nnf.fill(-1, y * w, (y + 1) * w);
    const runs = targetRuns(level, y);
    for (let run = 0; run < runs.length; run += 2) {
      for (let x = runs[run]!; x < runs[run + 1]!; x++) {
        nnf[y * w + x] = (src.y0 + (random() % sh)) * w + src.x0 + (random() % sw);
      }
    }
  }
}

/**
 * Rebuilds the hole pixels of rows [rowFrom, rowTo): each is the weighted mean, over every target
 * patch that covers it, of the pixel at the same place in that patch's match.
 */
export function voteBand(level: LevelBuffers, rowFrom: number, rowTo: number): void {
  const { width: w, rect, img } = level;
  for (let y = rowFrom; y < rowTo; y++) {
    const inRows = y >= rect.y0 && y < rect.y1;
    for (let x = 0; x < w; x++) {
      if (inRows && x === rect.x0) x = rect.x1;
      if (x >= w) break;
      img[y * w + x] = votedPixel(level, x, y);
    }
  }
}

/** What the matches of the target patches covering (x, y) say its colour is, packed. */
export function votedPixel(level: LevelBuffers, x: number, y: number): number {
  const { width: w, height: h, radius: r, img, nnf, voteWeight } = level;
  const cyFrom = Math.max(r, y - r);
  const cyTo = Math.min(h - 1 - r, y + r);
  const cxFrom = Math.max(r, x - r);
  const cxTo = Math.min(w - 1 - r, x + r);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let n = 0;
  for (let cy = cyFrom; cy <= cyTo; cy++) {
    const shift = (y - cy) * w + x;
    for (let cx = cxFrom; cx <= cxTo; cx++) {
      const c = cy * w + cx;
      const q = nnf[c]!;
      if (q < 0) continue;
      const k = voteWeight[c]!;
      const v = img[q + shift - cx]!;
      s0 += k * (v >> 16);
      s1 += k * ((v >> 8) & 255);
      s2 += k * (v & 255);
      n += k;
    }
  }
  if (n === 0) return img[y * w + x]!;
  return (Math.round(s0 / n) << 16) | (Math.round(s1 / n) << 8) | Math.round(s2 / n);
}
