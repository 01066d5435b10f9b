/**
 * A synthetic "photograph" for the reframe tests: a sky gradient over textured ground with a
 * horizon, a diagonal bar and deterministic noise, so the fill has structure and texture to
 * continue. PNG, made with sharp from raw pixels.
 */
import sharp from 'sharp';

export async function testScene(width: number, height: number, seed = 1): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let state = seed >>> 0;
  const noise = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state >>> 24) - 128;
  };
  const horizon = Math.round(height * 0.55);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      let r: number, g: number, b: number;
      if (y < horizon) {
        const t = y / horizon;
        [r, g, b] = [90 + 80 * t, 140 + 60 * t, 220 - 20 * t];
      } else {
        const stripe = ((x + 2 * y) >> 3) % 2 ? 20 : -20;
        [r, g, b] = [70 + stripe, 120 + stripe, 50];
      }
      if (Math.abs(x - y - width * 0.2) < 3) [r, g, b] = [230, 230, 230];
      const n = noise() / 8;
      data[i] = Math.max(0, Math.min(255, Math.round(r + n)));
      data[i + 1] = Math.max(0, Math.min(255, Math.round(g + n)));
      data[i + 2] = Math.max(0, Math.min(255, Math.round(b + n)));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

export async function rawPixels(png: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}
