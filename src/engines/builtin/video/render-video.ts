/**
 * One clip from one image: read the camera move from the prompt, plan the path, load the image at
 * the working resolution, render the frames (on worker threads) and stream them to ffmpeg in order.
 * Frames never touch the disk; only a few are in memory at a time.
 */
import { planCamera, type CameraPath, type Rect } from './camera.ts';
import { startEncoder } from './encoder.ts';
import { findFfmpeg } from './find-ffmpeg.ts';
import { describeMotion, motionFromPrompt, type Motion } from './motion.ts';
import { seededRandom } from './random.ts';
import { createFrameSource } from './render-pool.ts';
import { imageSize, loadYuv } from './source.ts';

export const FPS = 24;

export interface RenderVideoOptions {
  imagePath: string;
  /** Display size of the image when already known (the worker measured it). */
  imageWidth?: number;
  imageHeight?: number;
  promptText: string;
  width: number;
  height: number;
  durationSeconds: number;
  seed: number;
  outPath: string;
  signal: AbortSignal;
  progress?: (fraction: number) => void;
  ffmpegPath?: string;
  /** Redacted from ffmpeg's messages (the work folder). */
  redact?: string;
  /** Frame-rendering threads; 0 renders on the calling thread. Default 1 (it keeps ahead of x264). */
  renderThreads?: number;
}

export interface RenderVideoReport {
  motion: Motion;
  description: string;
  camera: CameraPath;
  frames: number;
  /** Working image size (the source resampled once). */
  baseWidth: number;
  baseHeight: number;
  ffmpegPath: string;
  /** Milliseconds: decoding and resampling the image, waiting for frames, waiting for ffmpeg, in all. */
  timings: { loadMs: number; framesMs: number; encodeWaitMs: number; totalMs: number };
}

/** The windows scaled from image pixels to working-image pixels, kept inside it. */
function toBase(windows: Rect[], sx: number, sy: number, baseWidth: number, baseHeight: number): Rect[] {
  return windows.map((w) => {
    const width = Math.min(baseWidth, w.width * sx);
    const height = Math.min(baseHeight, w.height * sy);
    return { x: Math.min(baseWidth - width, Math.max(0, w.x * sx)), y: Math.min(baseHeight - height, Math.max(0, w.y * sy)), width, height };
  });
}

const even = (value: number) => Math.max(4, 2 * Math.round(value / 2));

export async function renderVideo(options: RenderVideoOptions): Promise<RenderVideoReport> {
  const started = performance.now();
  const { width, height, signal } = options;
  const progress = options.progress ?? (() => {});
  const frames = Math.round(options.durationSeconds * FPS);
  const ffmpegPath = options.ffmpegPath ?? findFfmpeg().path;

  const size = options.imageWidth && options.imageHeight ? { width: options.imageWidth, height: options.imageHeight } : await imageSize(options.imagePath);
  const motion = motionFromPrompt(options.promptText, seededRandom(options.seed, 0));
  const camera = planCamera({ imageWidth: size.width, imageHeight: size.height, outWidth: width, outHeight: height, frames, durationSeconds: options.durationSeconds, motion, seed: options.seed });

  // Working resolution: the tightest window (at maxZoom) maps 1:1 onto the output.
  const fullWidth = Math.min(size.width, size.height * (width / height));
  const scale = (width * camera.maxZoom) / fullWidth;
  const baseWidth = even(size.width * scale);
  const baseHeight = even(size.height * scale);
  signal.throwIfAborted();
  const base = await loadYuv(options.imagePath, baseWidth, baseHeight);
  const windows = toBase(camera.windows, baseWidth / size.width, baseHeight / size.height, baseWidth, baseHeight);
  const loadMs = performance.now() - started;
  signal.throwIfAborted();
  progress(0.05);

  const encoder = startEncoder({ ffmpegPath, width, height, fps: FPS, outPath: options.outPath, signal, redact: options.redact });
  const source = createFrameSource(base, windows, width, height, options.renderThreads ?? 1);
  let framesMs = 0;
  let encodeWaitMs = 0;
  try {
    // One write in flight while the next frame renders: ffmpeg and the renderers overlap.
    let writing: Promise<void> = Promise.resolve();
    for (let i = 0; i < frames; i++) {
      signal.throwIfAborted();
      const began = performance.now();
      const frame = await source.frame(i);
      framesMs += performance.now() - began;
      const waited = performance.now();
      await writing;
      encodeWaitMs += performance.now() - waited;
      progress(0.05 + (0.9 * i) / frames);
      writing = encoder.write(frame);
      writing.catch(() => {});
    }
    const waited = performance.now();
    await writing;
    await encoder.finish();
    encodeWaitMs += performance.now() - waited;
  } catch (error) {
    encoder.process.kill('SIGKILL');
    await encoder.finish().catch(() => {});
    throw error;
  } finally {
    await source.close();
  }
  progress(1);
  return {
    motion,
    description: describeMotion(motion),
    camera,
    frames,
    baseWidth,
    baseHeight,
    ffmpegPath,
    timings: { loadMs, framesMs, encodeWaitMs, totalMs: performance.now() - started },
  };
}
