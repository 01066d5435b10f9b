/**
 * Where things go: the output size from the `resolution` enum string, the source scaled to fit
 * inside it without cropping and centred, and the known rectangle at each pyramid level.
 */

/** A rectangle with exclusive ends: x0 ≤ x < x1, y0 ≤ y < y1. */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Placement {
  /** Output frame. */
  width: number;
  height: number;
  /** The source, resized to fit, sits at `rect` (its size is rect.x1 - rect.x0 by rect.y1 - rect.y0). */
  rect: Rect;
}

/** `"1536:640 (12:5)"` → 1536 × 640. Throws on anything else (the catalog's enum guards input). */
export function parseResolution(value: string): { width: number; height: number } {
  const match = /^(\d{2,5}):(\d{2,5})(?:\s*\(\d+:\d+\))?$/.exec(value.trim());
  if (!match) throw new Error(`resolution "${value}" is not of the form W:H (a:b)`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/**
 * Fits a source of `srcW × srcH` inside `width × height` (scale = the smaller ratio), rounds to
 * whole pixels and centres it. A source of the frame's own aspect fills the frame exactly.
 */
export function placeSource(srcW: number, srcH: number, width: number, height: number): Placement {
  const scale = Math.min(width / srcW, height / srcH);
  const w = Math.max(1, Math.min(width, Math.round(srcW * scale)));
  const h = Math.max(1, Math.min(height, Math.round(srcH * scale)));
  const x0 = Math.floor((width - w) / 2);
  const y0 = Math.floor((height - h) / 2);
  return { width, height, rect: { x0, y0, x1: x0 + w, y1: y0 + h } };
}

/** The known rectangle one level down (half size): only pixels made wholly of known ones. */
export function halveRect(rect: Rect): Rect {
  return { x0: Math.ceil(rect.x0 / 2), y0: Math.ceil(rect.y0 / 2), x1: Math.floor(rect.x1 / 2), y1: Math.floor(rect.y1 / 2) };
}

export function rectWidth(rect: Rect): number {
  return rect.x1 - rect.x0;
}

export function rectHeight(rect: Rect): number {
  return rect.y1 - rect.y0;
}

export interface LevelShape {
  width: number;
  height: number;
  rect: Rect;
}

/**
 * Level shapes from finest (index 0) to coarsest. Halves until the frame's long side is at most
 * `coarsest` pixels, but never so far that the known rectangle gets narrower than `minKnown`
 * (it must hold whole source patches).
 */
export function pyramidShapes(placement: Placement, coarsest: number, minKnown: number): LevelShape[] {
  const shapes: LevelShape[] = [{ width: placement.width, height: placement.height, rect: placement.rect }];
  for (;;) {
    const last = shapes[shapes.length - 1]!;
    if (Math.max(last.width, last.height) <= coarsest) break;
    const rect = halveRect(last.rect);
    if (Math.min(rectWidth(rect), rectHeight(rect)) < minKnown) break;
    shapes.push({ width: Math.floor(last.width / 2), height: Math.floor(last.height / 2), rect });
  }
  return shapes;
}
