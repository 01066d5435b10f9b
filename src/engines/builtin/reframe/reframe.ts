/**
 * Reframe one image: decode (EXIF orientation applied, alpha flattened onto white), scale to fit
 * inside the requested frame without cropping, centre it, fill the rest by PatchMatch completion
 * (complete.ts) on worker threads, optionally lean the fill towards the palette, and encode a
 * PNG with fixed settings (same pixels → same bytes).
 */
import sharp from 'sharp';
import { EngineError } from '../../engine.ts';
import type { BandRunner } from './complete.ts';
import { canComplete, completeImage } from './complete.ts';
import { inlineRunner } from './band-tasks.ts';
import { type Placement, placeSource, rectHeight, rectWidth } from './geometry.ts';
import { effortFor, type ReframeOptions } from './options.ts';
import { applyPalette } from './palette.ts';
import { pullPush, pack, unpack } from './pyramid.ts';
import { createWorkerRunner } from './worker-runner.ts';

export interface ReframeHooks {
  signal?: AbortSignal;
  progress?: (fraction: number) => void;
  /** Worker threads for the PatchMatch bands; 0 runs them on the calling thread. Default 2. */
  threads?: number;
}

export interface ReframeResult {
  png: Buffer;
  placement: Placement;
  /** The output's RGB pixels (width × height × 3). */
  pixels: Uint8Array;
}

/** Decodes and scales the source into a new canvas; returns it with the placement. */
export async function placeImage(source: string | Buffer, width: number, height: number): Promise<{ canvas: Uint8Array; placement: Placement }> {
  const meta = await sharp(source, { pages: 1 }).metadata();
  const srcW = meta.autoOrient?.width ?? meta.width;
  const srcH = meta.autoOrient?.height ?? meta.height;
  if (!srcW || !srcH) throw new EngineError('invalid_input', 'image: the image has no readable dimensions');
  const placement = placeSource(srcW, srcH, width, height);
  const oriented = sharp(source, { pages: 1 }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb');
  const pw = rectWidth(placement.rect);
  const ph = rectHeight(placement.rect);
  const scaled = await oriented.resize(pw, ph, { fit: 'fill', kernel: 'lanczos3' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (scaled.info.channels !== 3 || scaled.info.width !== pw || scaled.info.height !== ph) throw new Error(`unexpected decode: ${JSON.stringify(scaled.info)}`);
  const canvas = new Uint8Array(width * height * 3);
  for (let y = 0; y < ph; y++) canvas.set(scaled.data.subarray(y * pw * 3, (y + 1) * pw * 3), ((placement.rect.y0 + y) * width + placement.rect.x0) * 3);
  return { canvas, placement };
}

export function encodePng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6, adaptiveFiltering: false, palette: false }).toBuffer();
}

export async function reframeImage(source: string | Buffer, options: ReframeOptions, hooks: ReframeHooks = {}): Promise<ReframeResult> {
  const { signal, progress } = hooks;
  const { canvas, placement } = await placeImage(source, options.width, options.height);
  signal?.throwIfAborted();
  progress?.(0.05);
  const { rect } = placement;
  const hasHole = rect.x0 > 0 || rect.y0 > 0 || rect.x1 < placement.width || rect.y1 < placement.height;
  const effort = effortFor(options.speed);
  if (hasHole && !canComplete(placement, effort)) {
    // A sliver of a source (under about 36 px across once fitted) is filled smoothly instead.
    const img = new Int32Array(placement.width * placement.height);
    pack(canvas, img);
    pullPush(img, placement.width, placement.height, rect);
    unpack(img, canvas);
  } else if (hasHole) {
    const threads = hooks.threads ?? 2;
    const runner: BandRunner & { close?(): Promise<void> } = threads > 0 ? createWorkerRunner(threads, signal) : inlineRunner();
    try {
      await completeImage(canvas, placement, effort, options.seed, runner, { signal, progress: (f) => progress?.(0.05 + 0.9 * f) });
    } finally {
      await runner.close?.();
    }
  }
  applyPalette(canvas, placement.width, placement.height, rect, options.palette);
  signal?.throwIfAborted();
  const png = await encodePng(canvas, placement.width, placement.height);
  progress?.(1);
  return { png, placement, pixels: canvas };
}
