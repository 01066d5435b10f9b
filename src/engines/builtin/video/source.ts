/**
 * The source image as yuv420p planes at the working resolution: EXIF orientation applied, transparency
 * flattened onto black, resampled once with Lanczos (sharp) so that the camera's tightest window
 * is exactly the output size. Every frame is then a window of at most ~1.5× the output, which the
 * sampler's tent filter handles without aliasing, however large or small the upload was.
 */
import sharp from 'sharp';
import { restrictSharpLoaders } from '../../../inputs/probe-image.ts';
import { EngineError } from '../../engine.ts';
import { rgbToYuv420, type YuvImage } from './color.ts';

/** The upload's display size (orientation applied), when the worker did not already measure it. */
export async function imageSize(path: string): Promise<{ width: number; height: number }> {
  restrictSharpLoaders();
  const meta = await sharp(path, { pages: 1 }).metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new EngineError('invalid_input', 'promptImage: the image has no readable dimensions');
  return { width, height };
}

/** Decodes `path`, resamples it to exactly width × height (both even) and converts it to yuv420p planes. */
export async function loadYuv(path: string, width: number, height: number): Promise<YuvImage> {
  restrictSharpLoaders();
  try {
    const { data, info } = await sharp(path, { pages: 1, failOn: 'none' })
      .autoOrient()
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb')
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== 3 || data.length !== width * height * 3) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, not ${width}×${height}×3`);
    }
    return rgbToYuv420(new Uint8Array(data.buffer, data.byteOffset, data.length), width, height);
  } catch (error) {
    throw new EngineError('invalid_input', `promptImage: the image could not be decoded (${(error as Error).message})`);
  }
}
