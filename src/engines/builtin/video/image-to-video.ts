/**
 * The builtin task for runwayml/runway-gen-3-alpha/turbo/image-to-video: a virtual camera move
 * over the prompt image (not a generative model), encoded to an H.264 MP4 of exactly the
 * requested size and duration. See docs/engines.md, "builtin: image-to-video".
 */
import { join } from 'node:path';
import type { BuiltinTask } from '../builtin-engine.ts';
import { EngineError } from '../../engine.ts';
import { jobSeed } from '../../seed.ts';
import { renderVideo } from './render-video.ts';

const RATIOS: Record<string, [number, number]> = { '1280:768': [1280, 768], '768:1280': [768, 1280] };
const DURATIONS = new Set([5, 10]);

export const imageToVideo: BuiltinTask = async (job, context) => {
  const image = job.files.promptImage;
  if (!image) throw new EngineError('invalid_input', 'promptImage: an image is required');
  const ratio = String(job.input.ratio ?? '1280:768');
  const size = RATIOS[ratio];
  if (!size) throw new EngineError('invalid_input', `ratio: must be one of ${Object.keys(RATIOS).join(', ')}`);
  const duration = Number(job.input.duration ?? 5);
  if (!DURATIONS.has(duration)) throw new EngineError('invalid_input', 'duration: must be 5 or 10');
  const seed = jobSeed(job.modelId, job.input);

  const outPath = join(context.workDir, 'image-to-video.mp4');
  const report = await renderVideo({
    imagePath: image.path,
    imageWidth: image.width,
    imageHeight: image.height,
    promptText: String(job.input.promptText ?? ''),
    width: size[0],
    height: size[1],
    durationSeconds: duration,
    seed,
    outPath,
    signal: context.signal,
    progress: context.progress,
    redact: context.workDir,
  });
  context.log.info({ motion: report.description, matched: report.motion.matched, seed, frames: report.frames, base: `${report.baseWidth}x${report.baseHeight}`, ffmpeg: report.ffmpegPath, timings: Object.fromEntries(Object.entries(report.timings).map(([name, ms]) => [name, Math.round(ms)])) }, 'image-to-video rendered');
  return [{ kind: 'video', contentType: 'video/mp4', extension: 'mp4', data: { path: outPath }, durationSeconds: duration }];
};
