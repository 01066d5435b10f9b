/**
 * RGB → Y'CbCr 4:2:0, BT.709, limited range (what browsers assume for HD H.264), done once on the
 * working image so that frames are rendered straight into yuv420p planes: half the samples of
 * RGB, and ffmpeg has no conversion left to do. Integer arithmetic, so the result is exact.
 */
import type { Plane } from './sampler.ts';

export interface YuvImage {
  y: Plane;
  u: Plane;
  v: Plane;
}

const KR = 0.2126;
const KB = 0.0722;
const KG = 1 - KR - KB;
const BITS = 16;
const ONE = 1 << BITS;
const q = (value: number) => Math.round(value * ONE);
// Y' = 16 + 219/255 · (Kr R + Kg G + Kb B)
const YR = q((219 / 255) * KR);
const YG = q((219 / 255) * KG);
const YB = q((219 / 255) * KB);
// Cb = 128 + 224/255 · (B − Y)/(2(1 − Kb)), Cr = 128 + 224/255 · (R − Y)/(2(1 − Kr))
const CB = (224 / 255) / (2 * (1 - KB));
const CR = (224 / 255) / (2 * (1 - KR));
const UR = q(-KR * CB);
const UG = q(-KG * CB);
const UB = q((1 - KB) * CB);
const VR = q((1 - KR) * CR);
const VG = q(-KG * CR);
const VB = q(-KB * CR);
const HALF = 1 << (BITS - 1);

/** `rgb` is width × height × 3 with even width and height. */
export function rgbToYuv420(rgb: Uint8Array, width: number, height: number): YuvImage {
  if (width % 2 || height % 2) throw new Error('rgbToYuv420 needs even dimensions');
  const y = new Uint8Array(width * height);
  const cw = width / 2;
  const ch = height / 2;
  const u = new Uint8Array(cw * ch);
  const v = new Uint8Array(cw * ch);
  for (let i = 0, p = 0; i < y.length; i++, p += 3) {
    y[i] = ((16 << BITS) + YR * rgb[p]! + YG * rgb[p + 1]! + YB * rgb[p + 2]! + HALF) >> BITS;
  }
  // Chroma from the 2×2 average of RGB (centre-sited box), which the renderer's geometry assumes.
  const stride = width * 3;
  for (let j = 0; j < ch; j++) {
    for (let i = 0; i < cw; i++) {
      const p = 2 * j * stride + 6 * i;
      const r = rgb[p]! + rgb[p + 3]! + rgb[p + stride]! + rgb[p + stride + 3]!;
      const g = rgb[p + 1]! + rgb[p + 4]! + rgb[p + stride + 1]! + rgb[p + stride + 4]!;
      const b = rgb[p + 2]! + rgb[p + 5]! + rgb[p + stride + 2]! + rgb[p + stride + 5]!;
      // Sums of four: divide by 4 inside the fixed point (BITS + 2).
      u[j * cw + i] = ((128 << (BITS + 2)) + UR * r + UG * g + UB * b + (HALF << 2)) >> (BITS + 2);
      v[j * cw + i] = ((128 << (BITS + 2)) + VR * r + VG * g + VB * b + (HALF << 2)) >> (BITS + 2);
    }
  }
  return { y: { data: y, width, height }, u: { data: u, width: cw, height: ch }, v: { data: v, width: cw, height: ch } };
}
