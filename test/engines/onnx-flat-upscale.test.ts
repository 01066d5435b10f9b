import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { dominantColours, flatUpscale } from '../../src/engines/onnx/flat-upscale.ts';

const YELLOW = [245, 215, 40];
const RED = [230, 30, 30];

/** 64×64 yellow with an anti-aliased red disc of radius 14 at the centre and one green speckle. */
function disc(): { width: number; height: number; pixels: Buffer } {
  const pixels = Buffer.alloc(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const d = Math.hypot(x + 0.5 - 32, y + 0.5 - 32) - 14;
      const a = Math.min(Math.max(0.5 - d, 0), 1);
      for (let c = 0; c < 3; c++) pixels[(y * 64 + x) * 3 + c] = Math.round(RED[c]! * a + YELLOW[c]! * (1 - a));
    }
  }
  pixels.set([30, 170, 60], (5 * 64 + 5) * 3);
  return { width: 64, height: 64, pixels };
}

const near = (p: Buffer, i: number, c: number[], tolerance: number) =>
  Math.abs(p[i]! - c[0]!) <= tolerance && Math.abs(p[i + 1]! - c[1]!) <= tolerance && Math.abs(p[i + 2]! - c[2]!) <= tolerance;

function census(pixels: Buffer): { red: number; mixed: number; green: number } {
  let red = 0;
  let mixed = 0;
  let green = 0;
  for (let i = 0; i < pixels.length; i += 3) {
    if (near(pixels, i, RED, 6)) red++;
    else if (!near(pixels, i, YELLOW, 6)) mixed++;
    if (pixels[i + 1]! > pixels[i]! && pixels[i + 1]! > 120 && pixels[i]! < 120) green++;
  }
  return { red, mixed, green };
}

describe('flat-colour upscale (the bundled model\'s edges)', () => {
  it('finds the dominant colours and ignores a speckle', () => {
    const colours = dominantColours(disc());
    assert.equal(colours.length, 2);
    const [first, second] = [colours[0]!, colours[1]!];
    assert.ok(first.every((v, c) => Math.abs(v - YELLOW[c]!) < 4), `background ${first}`);
    assert.ok(second.every((v, c) => Math.abs(v - RED[c]!) < 6), `object ${second}`);
  });

  it('keeps a 16× edge about a pixel wide where lanczos alone smears it', async () => {
    const source = disc();
    const flat = census(await flatUpscale(source, 1024, 1024));
    const smooth = census(await sharp(source.pixels, { raw: { width: 64, height: 64, channels: 3 } }).resize(1024, 1024, { kernel: 'lanczos3' }).raw().toBuffer());
    const perimeter = 2 * Math.PI * 14 * 16;
    assert.ok(flat.mixed < perimeter * 3, `flat: ${flat.mixed} blended pixels along a ${perimeter.toFixed(0)} px outline`);
    assert.ok(smooth.mixed > perimeter * 8, `lanczos: ${smooth.mixed} blended pixels`);
    const area = Math.PI * (14 * 16) ** 2;
    assert.ok(Math.abs(flat.red + flat.mixed / 2 - area) / area < 0.03, `disc area ${flat.red} vs ${area.toFixed(0)}`);
    assert.equal(flat.green, 0, 'the speckle is gone');
    assert.ok(smooth.green > 0, 'lanczos keeps the speckle');
  });

  it('resizes to exactly the requested size, non-square too', async () => {
    const out = await flatUpscale(disc(), 300, 200);
    assert.equal(out.length, 300 * 200 * 3);
  });
});
