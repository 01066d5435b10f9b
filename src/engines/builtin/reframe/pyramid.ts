/**
 * The coarse-to-fine scaffolding around the kernels: halving the image, a smooth first guess for
 * the hole at the coarsest level (pull-push interpolation), and carrying the NNF one level up.
 */
import type { Rect } from './geometry.ts';
import type { LevelBuffers } from './patchmatch.ts';
import { isTarget, sourceRange } from './patchmatch.ts';

/** 2 × 2 box average of a packed image into floor(w/2) × floor(h/2). */
export function downsample(img: Int32Array, w: number, h: number, out: Int32Array): void {
  const ow = w >> 1;
  const oh = h >> 1;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const a = 2 * y * w + 2 * x;
      const p = img[a]!;
      const q = img[a + 1]!;
      const u = img[a + w]!;
      const v = img[a + w + 1]!;
      const c0 = ((p >> 16) + (q >> 16) + (u >> 16) + (v >> 16) + 2) >> 2;
      const c1 = (((p >> 8) & 255) + ((q >> 8) & 255) + ((u >> 8) & 255) + ((v >> 8) & 255) + 2) >> 2;
      const c2 = ((p & 255) + (q & 255) + (u & 255) + (v & 255) + 2) >> 2;
      out[y * ow + x] = (c0 << 16) | (c1 << 8) | c2;
    }
  }
}

/** RGB bytes → packed 0xRRGGBB ints. */
export function pack(rgb: Uint8Array, out: Int32Array): void {
  for (let i = 0, j = 0; i < out.length; i++, j += 3) out[i] = (rgb[j]! << 16) | (rgb[j + 1]! << 8) | rgb[j + 2]!;
}

/** Packed ints → RGB bytes. */
export function unpack(img: Int32Array, out: Uint8Array): void {
  for (let i = 0, j = 0; i < img.length; i++, j += 3) {
    const v = img[i]!;
    out[j] = v >> 16;
    out[j + 1] = (v >> 8) & 255;
    out[j + 2] = v & 255;
  }
}

/**
 * Fills every pixel outside `rect` with a smooth interpolation of the known ones (Gortler et
 * al.'s pull-push): averages down a pyramid with coverage weights, then blends back up with
 * bilinear upsampling. Used as the coarsest level's starting estimate and as the fallback fill.
 */
export function pullPush(img: Int32Array, w: number, h: number, rect: Rect): void {
  type Level = { w: number; h: number; c: Float32Array; m: Float32Array };
  const base: Level = { w, h, c: new Float32Array(w * h * 3), m: new Float32Array(w * h) };
  for (let y = rect.y0; y < rect.y1; y++) {
    for (let x = rect.x0; x < rect.x1; x++) {
      const i = y * w + x;
      base.m[i] = 1;
      const v = img[i]!;
      base.c[i * 3] = v >> 16;
      base.c[i * 3 + 1] = (v >> 8) & 255;
      base.c[i * 3 + 2] = v & 255;
    }
  }
  const levels: Level[] = [base];
  while (levels[levels.length - 1]!.w > 1 || levels[levels.length - 1]!.h > 1) {
    const f = levels[levels.length - 1]!;
    const lw = Math.max(1, Math.ceil(f.w / 2));
    const lh = Math.max(1, Math.ceil(f.h / 2));
    const next: Level = { w: lw, h: lh, c: new Float32Array(lw * lh * 3), m: new Float32Array(lw * lh) };
    for (let y = 0; y < lh; y++) {
      for (let x = 0; x < lw; x++) {
        let m = 0;
        const acc = [0, 0, 0];
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const fx = 2 * x + dx;
            const fy = 2 * y + dy;
            if (fx >= f.w || fy >= f.h) continue;
            const i = fy * f.w + fx;
            m += f.m[i]!;
            for (let c = 0; c < 3; c++) acc[c]! += f.c[i * 3 + c]! * f.m[i]!;
          }
        }
        const o = y * lw + x;
        next.m[o] = Math.min(1, m);
        for (let c = 0; c < 3; c++) next.c[o * 3 + c] = m > 0 ? acc[c]! / m : 0;
      }
    }
    levels.push(next);
  }
  // Push: from coarse to fine, each pixel keeps its own value in proportion to its coverage.
  for (let l = levels.length - 2; l >= 0; l--) {
    const f = levels[l]!;
    const g = levels[l + 1]!;
    for (let y = 0; y < f.h; y++) {
      const gy = Math.min(g.h - 1, Math.max(0, (y - 0.5) / 2));
      const y0 = Math.floor(gy);
      const y1 = Math.min(g.h - 1, y0 + 1);
      const fy = gy - y0;
      for (let x = 0; x < f.w; x++) {
        const i = y * f.w + x;
        const m = f.m[i]!;
        if (m >= 1) continue;
        const gx = Math.min(g.w - 1, Math.max(0, (x - 0.5) / 2));
        const x0 = Math.floor(gx);
        const x1 = Math.min(g.w - 1, x0 + 1);
        const fx = gx - x0;
        for (let c = 0; c < 3; c++) {
          const v00 = g.c[(y0 * g.w + x0) * 3 + c]!;
          const v01 = g.c[(y0 * g.w + x1) * 3 + c]!;
          const v10 = g.c[(y1 * g.w + x0) * 3 + c]!;
          const v11 = g.c[(y1 * g.w + x1) * 3 + c]!;
          const up = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
          f.c[i * 3 + c] = m * f.c[i * 3 + c]! + (1 - m) * up;
        }
        f.m[i] = 1;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (y >= rect.y0 && y < rect.y1 && x >= rect.x0 && x < rect.x1) continue;
      const i = y * w + x;
      const c = base.c;
      img[i] = (Math.round(c[i * 3]!) << 16) | (Math.round(c[i * 3 + 1]!) << 8) | Math.round(c[i * 3 + 2]!);
    }
  }
}

/**
 * The NNF of a finer level from the coarser one: each fine target takes its coarse parent's match,
 * doubled, plus its own offset inside the parent; clamped into the fine source range. A parent
 * that was not a target (its patch was wholly known) maps to itself.
 */
export function upsampleNnf(coarse: LevelBuffers, fine: LevelBuffers): void {
  const { width: fw, height: fh, nnf } = fine;
  const cw = coarse.width;
  const cr = coarse.radius;
  const src = sourceRange(fine);
  for (let y = 0; y < fh; y++) {
    for (let x = 0; x < fw; x++) {
      const t = y * fw + x;
      if (!isTarget(fine, x, y)) {
        nnf[t] = -1;
        continue;
      }
      const px = Math.min(coarse.width - 1 - cr, Math.max(cr, x >> 1));
      const py = Math.min(coarse.height - 1 - cr, Math.max(cr, y >> 1));
      const q = coarse.nnf[py * cw + px]!;
      const qx = q >= 0 ? q % cw : px;
      const qy = q >= 0 ? (q / cw) | 0 : py;
      let sx = 2 * qx + (x - 2 * px);
      let sy = 2 * qy + (y - 2 * py);
      sx = sx < src.x0 ? src.x0 : sx >= src.x1 ? src.x1 - 1 : sx;
      sy = sy < src.y0 ? src.y0 : sy >= src.y1 ? src.y1 - 1 : sy;
      nnf[t] = sy * fw + sx;
    }
  }
}
