/**
 * The fill's mid-frequency damping (src/engines/builtin/reframe/structure.ts): far from the
 * source a mid-scale pattern fades by about `damp`, grain finer than the fine radius and flat
 * colour are left alone, near the border almost nothing changes, and known pixels are never
 * written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dampMidFrequencies } from '../../src/engines/builtin/reframe/structure.ts';
import type { Rect } from '../../src/engines/builtin/reframe/geometry.ts';

const W = 400;
const H = 64;
// The source is the middle 80 columns: a fill 160 px wide on each side.
const RECT: Rect = { x0: 160, y0: 0, x1: 240, y1: H };
const noop = async () => {};

/** A grey image whose value at column x is 128 + f(x) in all three channels. */
function image(f: (x: number) => number): Int32Array {
  const img = new Int32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = Math.round(128 + f(x));
      img[y * W + x] = (v << 16) | (v << 8) | v;
    }
  }
  return img;
}

const red = (img: Int32Array, x: number, y = H / 2) => img[y * W + x]! >> 16;

/** Peak-to-peak of the red channel over columns [from, to) of the middle row. */
function swing(img: Int32Array, from: number, to: number): number {
  let lo = 255;
  let hi = 0;
  for (let x = from; x < to; x++) {
    lo = Math.min(lo, red(img, x));
    hi = Math.max(hi, red(img, x));
  }
  return hi - lo;
}

const damp = (img: Int32Array) => dampMidFrequencies(img, W, H, RECT, 2, 16, 0.9, 96, noop);

test('a mid-scale pattern far from the source fades by about the damping; next to the border it stays', async () => {
  // Period 24 px: between the fine (2 px) and coarse (16 px) radii.
  const wave = (x: number) => 40 * Math.sin((2 * Math.PI * x) / 24);
  const img = image(wave);
  const before = swing(img, 0, 48);
  await damp(img);
  const far = swing(img, 0, 48); // 112–160 px from the source: full damping
  assert.ok(far < 0.35 * before, `far swing ${far} of ${before}`);
  // Within 4 px of the border the ramp has barely started (≤ 4/96 of the damping).
  for (let x = 156; x < 160; x++) assert.ok(Math.abs(red(img, x) - red(image(wave), x)) <= 3, `column ${x}`);
});

test('grain finer than the fine radius and flat colour are left alone', async () => {
  const grain = (x: number) => (x % 2 === 0 ? 30 : -30);
  const img = image(grain);
  await damp(img);
  // Within a rounding step, away from the frame's own edge (where the blurs repeat the last
  // column, so a 2-px checker is not its own mean there).
  for (let x = 32; x < 160; x++) assert.ok(Math.abs(red(img, x) - red(image(grain), x)) <= 1, `column ${x}`);
  const flat = image(() => 0);
  await damp(flat);
  assert.ok(flat.every((v) => v === ((128 << 16) | (128 << 8) | 128)));
});

test('known pixels are never written; no damping or an empty band is a no-op', async () => {
  const wave = (x: number) => 40 * Math.sin((2 * Math.PI * x) / 24);
  const img = image(wave);
  await damp(img);
  const original = image(wave);
  for (let y = 0; y < H; y++) for (let x = RECT.x0; x < RECT.x1; x++) assert.equal(img[y * W + x], original[y * W + x]);
  for (const [fine, coarse, strength] of [[2, 16, 0], [16, 16, 0.9], [16, 8, 0.9]] as const) {
    const untouched = image(wave);
    await dampMidFrequencies(untouched, W, H, RECT, fine, coarse, strength, 96, noop);
    assert.deepEqual(untouched, original);
  }
});
