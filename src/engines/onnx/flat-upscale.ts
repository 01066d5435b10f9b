/**
 * Upscaling for flat-colour images (the bundled tiny-shapes model's domain): a 64×64 picture
 * resized 32× by a lanczos kernel has edges 30 px wide. Here the picture's few dominant colours are
 * found first, the image is resized smoothly (lanczos, so outlines follow smooth curves), and then
 * every pixel is pulled to its nearest dominant colour, keeping a blend with the second nearest
 * only within about 1.5 output pixels of where the two are equally near: crisp, anti-aliased edges
 * at any size, and speckles of colours that are not dominant disappear.
 *
 * Only for models whose pictures are flat colours: it would posterise a photograph. The onnx
 * engine uses it for the bundled model (option `upscale`, see docs/engines.md).
 */
import sharp from 'sharp';
import type { RawImage } from './pipeline.ts';

type Rgb = [number, number, number];

const distance2 = (p: Uint8Array | Buffer, i: number, c: Rgb) => {
  const dr = p[i]! - c[0];
  const dg = p[i + 1]! - c[1];
  const db = p[i + 2]! - c[2];
  return dr * dr + dg * dg + db * db;
};

/**
 * The image's dominant colours: repeatedly take the most common 4-bit-per-channel bin among the
 * pixels not yet within `radius` of a chosen colour (its pixels' mean is the colour), while that
 * bin holds at least `minShare` of the image; then one k-means pass refines each colour to the mean
 * of the pixels nearest to it (pixels farther than `radius` from all of them are left out).
 */
export function dominantColours(image: RawImage, maxColours = 8, minShare = 0.006, radius = 40): Rgb[] {
  const { pixels } = image;
  const count = image.width * image.height;
  const claimed = new Uint8Array(count);
  const colours: Rgb[] = [];
  const r2 = radius * radius;
  while (colours.length < maxColours) {
    const bins = new Map<number, { n: number; r: number; g: number; b: number }>();
    for (let p = 0; p < count; p++) {
      if (claimed[p]) continue;
      const i = p * 3;
      const key = ((pixels[i]! >> 4) << 8) | ((pixels[i + 1]! >> 4) << 4) | (pixels[i + 2]! >> 4);
      const bin = bins.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
      bin.n++;
      bin.r += pixels[i]!;
      bin.g += pixels[i + 1]!;
      bin.b += pixels[i + 2]!;
      bins.set(key, bin);
    }
    let best: { n: number; r: number; g: number; b: number } | undefined;
    for (const bin of bins.values()) if (!best || bin.n > best.n) best = bin;
    if (!best || best.n < minShare * count) break;
    const colour: Rgb = [best.r / best.n, best.g / best.n, best.b / best.n];
    colours.push(colour);
    for (let p = 0; p < count; p++) if (!claimed[p] && distance2(pixels, p * 3, colour) <= r2) claimed[p] = 1;
  }
  if (colours.length === 0) return colours;
  const sums = colours.map(() => [0, 0, 0, 0]);
  for (let p = 0; p < count; p++) {
    let nearest = 0;
    let nearestD = Infinity;
    colours.forEach((c, k) => {
      const d = distance2(pixels, p * 3, c);
      if (d < nearestD) {
        nearestD = d;
        nearest = k;
      }
    });
    if (nearestD > r2) continue;
    const s = sums[nearest]!;
    s[0]! += pixels[p * 3]!;
    s[1]! += pixels[p * 3 + 1]!;
    s[2]! += pixels[p * 3 + 2]!;
    s[3]! += 1;
  }
  return colours.map((c, k) => {
    const [r, g, b, n] = sums[k]!;
    return n! > 0 ? [r! / n!, g! / n!, b! / n!] : c;
  });
}

/**
 * Per source pixel, the index of the dominant colour that its whole neighbourhood of `margin`
 * pixels (clamped at the borders) is within `radius` of, or −1 when the neighbourhood is mixed:
 * Lanczos-3 reads 3 source pixels each way, so an output pixel over such a source pixel is that
 * colour exactly and needs no snapping (most of a flat picture; the time goes to the edges).
 */
export function interiorLabels(image: RawImage, colours: Rgb[], margin = 4, radius = 40): Int8Array {
  const { width: w, height: h, pixels } = image;
  const label = new Int8Array(w * h).fill(-1);
  for (let p = 0; p < w * h; p++) {
    let best = -1;
    let bestD = radius * radius;
    colours.forEach((c, k) => {
      const d = distance2(pixels, p * 3, c);
      if (d <= bestD) {
        bestD = d;
        best = k;
      }
    });
    label[p] = best;
  }
  const interior = new Int8Array(w * h).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const own = label[y * w + x]!;
      if (own < 0) continue;
      let same = true;
      for (let dy = -margin; dy <= margin && same; dy++) {
        const sy = Math.min(h - 1, Math.max(0, y + dy));
        for (let dx = -margin; dx <= margin; dx++) {
          if (label[sy * w + Math.min(w - 1, Math.max(0, x + dx))] !== own) {
            same = false;
            break;
          }
        }
      }
      if (same) interior[y * w + x] = own;
    }
  }
  return interior;
}

/** Where an output pixel of a `cover` resize reads from: the source pixel under its centre. */
function sourceIndex(out: number, outSize: number, srcSize: number, scale: number): number {
  const offset = (srcSize * scale - outSize) / 2;
  return Math.min(srcSize - 1, Math.max(0, Math.floor((out + 0.5 + offset) / scale)));
}

/**
 * Pulls every pixel of `resized` (RGB, width×height) to its nearest of `colours`, blended with the
 * second nearest over a band about `band` pixels wide where the two are about equally near.
 * `scale` is how many output pixels one source pixel became (the smooth resize spreads an edge over
 * that many). Pixels over an interior source pixel (interiorLabels) are set to its colour directly.
 */
export function snapToColours(resized: Buffer, width: number, height: number, source: RawImage, colours: Rgb[], scale: number, band = 1.5): void {
  if (colours.length < 2) return;
  const k = colours.length;
  const gaps = new Float64Array(k * k); // squared distances between the colours
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) gaps[a * k + b] = (colours[a]![0] - colours[b]![0]) ** 2 + (colours[a]![1] - colours[b]![1]) ** 2 + (colours[a]![2] - colours[b]![2]) ** 2;
  const sharpness = scale / (2 * band);
  const interior = interiorLabels(source, colours);
  const column = Int32Array.from({ length: width }, (_, x) => sourceIndex(x, width, source.width, scale));
  const bytes = colours.map((c) => c.map(Math.round) as Rgb);
  for (let y = 0; y < height; y++) {
    const row = sourceIndex(y, height, source.height, scale) * source.width;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inside = interior[row + column[x]!]!;
      if (inside >= 0) {
        const c = bytes[inside]!;
        resized[i] = c[0];
        resized[i + 1] = c[1];
        resized[i + 2] = c[2];
        continue;
      }
      let first = 0;
      let firstD = Infinity;
      let second = 0;
      let secondD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = distance2(resized, i, colours[c]!);
        if (d < firstD) {
          second = first;
          secondD = firstD;
          first = c;
          firstD = d;
        } else if (d < secondD) {
          second = c;
          secondD = d;
        }
      }
      // u ≈ 2s − 1 for a pixel a share s of the way from `second` to `first` along the segment
      // between them: the smooth resize moved s from 0 to 1 over about `scale` pixels.
      const u = (secondD - firstD) / (gaps[first * k + second]! || 1);
      const w = Math.min(1, 0.5 + u * sharpness);
      const a = colours[first]!;
      const b = colours[second]!;
      resized[i] = Math.round(a[0] * w + b[0] * (1 - w));
      resized[i + 1] = Math.round(a[1] * w + b[1] * (1 - w));
      resized[i + 2] = Math.round(a[2] * w + b[2] * (1 - w));
    }
  }
}

/** `image` resized to width×height (cover) with flat-colour edges; RGB, 3 bytes per pixel. */
export async function flatUpscale(image: RawImage, width: number, height: number): Promise<Buffer> {
  const resized = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'cover', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  const scale = Math.max(width / image.width, height / image.height);
  if (scale > 1.5) snapToColours(resized, width, height, image, dominantColours(image), scale);
  return resized;
}
