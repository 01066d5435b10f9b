/**
 * Image measurement with sharp, in the order §4 of the research asks for: the header first
 * (`metadata()` reads no pixel data) with our own `limitInputPixels`, so a pixel bomb is refused
 * before any decode; then, only for images within the ceiling, a streaming thumbnail decode that
 * proves the whole file is readable (a truncated PNG passes `metadata()` but fails here under
 * `failOn: 'warning'`). Only the JPEG, PNG, WebP and GIF loaders stay enabled.
 */
import sharp, { type Metadata } from 'sharp';
import { InputError } from './errors.ts';

export interface ImageProbeOptions {
  /** Pixel ceiling (width × height), checked from the header. Default 100 megapixels. */
  maxPixels?: number;
  /** Decode the whole image once (to a thumbnail) to catch truncation. Default true. */
  verifyDecode?: boolean;
}

export interface ImageProbe {
  format: string;
  /** Display size: EXIF orientation applied, which is what a person (and an engine) sees. */
  width: number;
  height: number;
  /** Stored size, before EXIF orientation. */
  storedWidth: number;
  storedHeight: number;
  pages: number;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

const ALLOWED_LOADERS = ['VipsForeignLoadJpeg', 'VipsForeignLoadPng', 'VipsForeignLoadSpng', 'VipsForeignLoadWebp', 'VipsForeignLoadNsgif'];
let loadersRestricted = false;

/**
 * Turns off every libvips loader except JPEG, PNG, WebP and GIF (SVG, PDF, TIFF, HEIF, Magick,
 * FITS, …). Process-wide and idempotent; call it at startup or let probeImage do it.
 */
export function restrictSharpLoaders(): void {
  if (loadersRestricted) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ALLOWED_LOADERS });
  loadersRestricted = true;
}

/** `stage: 'header'` records that the refusal came before the decode step ever ran. */
function pixelLimitError(maxPixels: number, details: Record<string, number>): InputError {
  return new InputError('too_many_pixels', `the image has more than ${(maxPixels / 1e6).toFixed(0)} megapixels`, {
    details: { ...details, maxPixels, stage: 'header' },
  });
}

export async function probeImage(path: string, options: ImageProbeOptions = {}): Promise<ImageProbe> {
  restrictSharpLoaders();
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const sharpOptions = { limitInputPixels: maxPixels, failOn: 'warning', sequentialRead: true, pages: 1 } as const;
  let meta: Metadata;
  try {
    meta = await sharp(path, sharpOptions).metadata();
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) throw pixelLimitError(maxPixels, {});
    throw new InputError('unreadable', 'the image could not be read: it is corrupt or not a supported format', { cause: error });
  }
  const { width, height } = meta;
  if (!width || !height) throw new InputError('unreadable', 'the image has no readable dimensions');
  // sharp enforces the limit itself; this guards the day a loader forgets to.
  if (width * height > maxPixels) throw pixelLimitError(maxPixels, { width, height });

  if (options.verifyDecode !== false) {
    try {
      await sharp(path, sharpOptions).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
    } catch (error) {
      throw new InputError('unreadable', 'the image is truncated or corrupt', { cause: error });
    }
  }
  return {
    format: meta.format,
    width: meta.autoOrient?.width ?? width,
    height: meta.autoOrient?.height ?? height,
    storedWidth: width,
    storedHeight: height,
    pages: meta.pages ?? 1,
  };
}
