/**
 * The `color_palette` effect: a mild pull of the filled pixels towards the nearest explicit
 * palette colour (at most 15 % × the member's weight), ramping in over the first 24 pixels away
 * from the source so the border stays seamless. The source pixels are never touched.
 */
import type { Rect } from './geometry.ts';
import type { PaletteColor } from './options.ts';

export const PALETTE_STRENGTH = 0.15;
const RAMP = 24;

export function applyPalette(canvas: Uint8Array, width: number, height: number, rect: Rect, palette: PaletteColor[]): void {
  if (palette.length === 0) return;
  for (let y = 0; y < height; y++) {
    const dy = y < rect.y0 ? rect.y0 - y : y >= rect.y1 ? y - rect.y1 + 1 : 0;
    for (let x = 0; x < width; x++) {
      const dx = x < rect.x0 ? rect.x0 - x : x >= rect.x1 ? x - rect.x1 + 1 : 0;
      const d = Math.max(dx, dy);
      if (d === 0) continue;
      const i = (y * width + x) * 3;
      const r = canvas[i]!;
      const g = canvas[i + 1]!;
      const b = canvas[i + 2]!;
      let nearest = palette[0]!;
      let best = Infinity;
      for (const color of palette) {
        const dist = (color.rgb[0] - r) ** 2 + (color.rgb[1] - g) ** 2 + (color.rgb[2] - b) ** 2;
        if (dist < best) {
          best = dist;
          nearest = color;
        }
      }
      const f = Math.min(1, d / RAMP) * PALETTE_STRENGTH * nearest.weight;
      canvas[i] = Math.round(r + f * (nearest.rgb[0] - r));
      canvas[i + 1] = Math.round(g + f * (nearest.rgb[1] - g));
      canvas[i + 2] = Math.round(b + f * (nearest.rgb[2] - b));
    }
  }
}
