/**
 * Fine grain from single best patches (src/engines/builtin/reframe/detail.ts): where the vote's
 * average has smeared a texture, the grain of the closest match comes back (far from the border
 * in full, ramping in from it), the coarse level of the fill stays the vote's, and known pixels
 * are never written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickedPixel, restoreFineDetail } from '../../src/engines/builtin/reframe/detail.ts';
import type { LevelBuffers } from '../../src/engines/builtin/reframe/patchmatch.ts';
import { isTarget, sourceRange } from '../../src/engines/builtin/reframe/patchmatch.ts';

const W = 200;
const H = 40;
const R = 2;
const RECT = { x0: 80, y0: 0, x1: 120, y1: H };
const noop = async () => {};
const grey = (v: number) => (v << 16) | (v << 8) | v;
/** The source: a 1-px checker of ±30 around 100; the hole: the checker's average, flat 100 (a smeared vote). */
const checker = (x: number, y: number) => ((x + y) % 2 === 0 ? 130 : 70);

function level(): LevelBuffers {
  const img = new Int32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) img[y * W + x] = grey(x >= RECT.x0 && x < RECT.x1 ? checker(x, y) : 100);
  const shape = { width: W, height: H, rect: RECT, radius: R };
  const src = sourceRange(shape);
  const nnf = new Int32Array(W * H).fill(-1);
  // Every target matches a source centre of the same checker phase (x + y parity kept).
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (!isTarget(shape, x, y)) continue;
      const sy = Math.min(src.y1 - 1, Math.max(src.y0, y));
      let sx = src.x0 + 4 + (x % 2);
      if ((sx + sy) % 2 !== (x + y) % 2) sx++;
      nnf[y * W + x] = sy * W + sx;
    }
  }
  const zeros = () => new Int32Array(W * H);
  return { ...shape, img, weight: new Uint8Array(W * H).fill(1), nnf, dist: zeros(), means: zeros(), guideWeight: 0, guideTolerance2: 0, voteWeight: new Float32Array(W * H).fill(1), voteSigma2: 0 };
}

const value = (l: LevelBuffers, x: number, y: number) => l.img[y * W + x]! & 255;

test('the picked pixel is the matching source pixel, so the checker is real again', () => {
  const l = level();
  for (const [x, y] of [[10, 10], [40, 21], [150, 5], [199, 39], [0, 0]] as const) assert.equal(pickedPixel(l, x, y) & 255, checker(x, y), `(${x}, ${y})`);
});

test('far from the border the grain comes back in full; at the border it ramps in; the mean stays the vote\'s', async () => {
  const l = level();
  await restoreFineDetail(l, 2, 1, 16, noop);
  for (let x = 10; x < 60; x++) {
    // 20+ px out (past the ramp), away from the frame's edge where the blur repeats the last column.
    const want = checker(x, 20);
    assert.ok(Math.abs(value(l, x, 20) - want) <= 3, `column ${x}: ${value(l, x, 20)} vs ${want}`);
  }
  // One pixel out: 1/16 of the swing.
  assert.ok(Math.abs(value(l, RECT.x0 - 1, 20) - 100) <= 3, `next to the border: ${value(l, RECT.x0 - 1, 20)}`);
  let sum = 0;
  for (let x = 10; x < 60; x++) for (let y = 5; y < 35; y++) sum += value(l, x, y);
  assert.ok(Math.abs(sum / (50 * 30) - 100) < 1, `mean ${sum / 1500}`);
});

test('known pixels are never written; gain 0 is a no-op', async () => {
  const l = level();
  const original = Int32Array.from(l.img);
  await restoreFineDetail(l, 2, 1, 16, noop);
  for (let y = 0; y < H; y++) for (let x = RECT.x0; x < RECT.x1; x++) assert.equal(l.img[y * W + x], original[y * W + x]);
  const untouched = level();
  await restoreFineDetail(untouched, 2, 0, 16, noop);
  assert.deepEqual(untouched.img, original);
});
